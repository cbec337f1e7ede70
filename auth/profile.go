package auth

import (
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"fmt"
)

// Profile names the wire profile of a conversation (protocol notes §1).
type Profile string

// The two profiles. Their JWT claims differ (protocol notes §4.2).
const (
	ProfileAlpha Profile = "ssh3-alpha"
	ProfileRTH3  Profile = "rth3-00"
)

func (p Profile) Valid() bool { return p == ProfileAlpha || p == ProfileRTH3 }

// Connection binding (protocol notes §2.6): the TLS exporter with this label,
// an empty context and this length.
const (
	ExporterLabel = "EXPORTER-SSH3"
	BindingLen    = 32
)

// BindingFromTLS computes the connection binding value from a TLS 1.3
// connection state (the QUIC layer exposes one).
func BindingFromTLS(cs *tls.ConnectionState) ([]byte, error) {
	b, err := cs.ExportKeyingMaterial(ExporterLabel, nil, BindingLen)
	if err != nil {
		return nil, fmt.Errorf("auth: exporter: %w", err)
	}
	return b, nil
}

// EncodeBinding renders a binding value as the JWT jti and the OIDC nonce:
// standard base64 with padding (44 characters for 32 bytes).
func EncodeBinding(binding []byte) (string, error) {
	if len(binding) != BindingLen {
		return "", ErrBadBinding
	}
	return base64.StdEncoding.EncodeToString(binding), nil
}

// BindingMatches compares a received jti or nonce with the connection's own
// binding in constant time.
func BindingMatches(got string, binding []byte) bool {
	want, err := EncodeBinding(binding)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
