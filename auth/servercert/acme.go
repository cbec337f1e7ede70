package servercert

import (
	"crypto/tls"
	"errors"
	"net/http"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// ACMEConfig configures certificates from an ACME CA (Let's Encrypt by
// default).
type ACMEConfig struct {
	Hosts        []string // names the certificate may be issued for (required)
	CacheDir     string   // where account key and certificates are kept (required)
	Email        string   // contact address, optional
	DirectoryURL string   // ACME directory; "" means Let's Encrypt production
	HTTPClient   *http.Client
	// AcceptTOS must be true: it stands for the operator accepting the CA's
	// terms of service.
	AcceptTOS bool
}

// ErrACMEConfig: Hosts, CacheDir or AcceptTOS missing.
var ErrACMEConfig = errors.New("servercert: ACME needs hosts, a cache directory and accepted terms")

// NewACME returns an autocert manager and a TLS config for the HTTP/3
// listener that takes certificates from it.
//
// Challenges: ACME CAs validate over TCP, never over QUIC. The caller must
// either serve HTTP-01 on TCP port 80 with m.HTTPHandler(nil), or run a TCP
// TLS listener on port 443 with the returned config (it already offers
// acme.ALPNProto for TLS-ALPN-01).
func NewACME(c ACMEConfig, nextProtos ...string) (*autocert.Manager, *tls.Config, error) {
	if len(c.Hosts) == 0 || c.CacheDir == "" || !c.AcceptTOS {
		return nil, nil, ErrACMEConfig
	}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(c.CacheDir),
		HostPolicy: autocert.HostWhitelist(c.Hosts...),
		Email:      c.Email,
	}
	if c.DirectoryURL != "" || c.HTTPClient != nil {
		m.Client = &acme.Client{DirectoryURL: c.DirectoryURL, HTTPClient: c.HTTPClient}
	}
	tc := m.TLSConfig()
	tc.NextProtos = append(append([]string{}, nextProtos...), acme.ALPNProto)
	tc.MinVersion = tls.VersionTLS13
	return m, tc, nil
}
