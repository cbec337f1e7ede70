package conformance

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// The suite computes what a valid client sends with its own code, from the
// spec, never with this project's auth package: a bug there must not pass
// on both sides (issue: black-box where it matters). Key files are read
// with x/crypto/ssh: their format is not under test.

// The connection binding (spec/SPEC.md §2.6): the TLS exporter with label
// EXPORTER-SSH3, an empty context and 32 bytes; a token's jti and an OIDC
// nonce carry it in standard base64 with padding.
const (
	exporterLabel = "EXPORTER-SSH3"
	exporterLen   = 32
)

// bindingFromState is the binding of the connection whose TLS state cs is.
func bindingFromState(cs *tls.ConnectionState) ([]byte, error) {
	return cs.ExportKeyingMaterial(exporterLabel, nil, exporterLen)
}

// encodeBinding renders a binding as a jti or nonce.
func encodeBinding(b []byte) (string, error) {
	if len(b) != exporterLen {
		return "", fmt.Errorf("conformance: binding of %d bytes, not %d", len(b), exporterLen)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// loadKey reads an unencrypted private key file (OpenSSH, PKCS #1 or #8).
func loadKey(path string) (ssh.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("%s: the suite needs a key without a passphrase", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// parseBasic decodes Basic credentials (RFC 7617 §2): the base64 of
// user-id ":" password, with no control characters.
func parseBasic(cred string) (user, password string, err error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(cred)
	if err != nil {
		return "", "", fmt.Errorf("basic: %w", err)
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || strings.ContainsFunc(string(raw), func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", "", errors.New("basic: not user-id:password")
	}
	return user, password, nil
}
