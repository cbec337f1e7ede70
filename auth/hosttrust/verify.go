package hosttrust

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// ErrNoCertificate: the server sent no certificate.
var ErrNoCertificate = errors.New("hosttrust: server sent no certificate")

// UnknownHostError: the host has no known_hosts line, its chain does not
// verify, and it was not (or could not be) accepted on first use.
type UnknownHostError struct {
	HostKey     string
	Fingerprint string
	SelfSigned  bool
	Err         error // why the chain failed, or why the prompt refused
}

func (e *UnknownHostError) Error() string {
	return fmt.Sprintf("hosttrust: unknown host %s (certificate %s): %v", e.HostKey, e.Fingerprint, e.Err)
}

func (e *UnknownHostError) Unwrap() error { return e.Err }

// MismatchError: known_hosts pins other certificates for this host. It may
// be an attack; the connection must not proceed.
type MismatchError struct {
	HostKey     string
	File        string
	Index       int // 0-based index of the first line pinned for the host
	Fingerprint string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("hosttrust: WARNING: the certificate of %s (%s) differs from the one pinned in %s line %d; someone may be intercepting the connection",
		e.HostKey, e.Fingerprint, e.File, e.Index)
}

// ErrDeclined: the user answered no at the first-use prompt.
var ErrDeclined = errors.New("hosttrust: certificate not accepted")

// ErrNoPrompt: first use of a self-signed certificate with no way to ask.
var ErrNoPrompt = errors.New("hosttrust: self-signed certificate and no prompt available")

// PromptInfo is what the user is asked about at first use.
type PromptInfo struct {
	HostKey     string
	Fingerprint string // "SHA256 …"
	Cert        *x509.Certificate
}

// Config holds the client's trust settings. Its fields must not change
// once a hook it returned is in use.
type Config struct {
	// KnownHosts is the path of ~/.ssh3/known_hosts.
	KnownHosts string
	// Roots replaces the system roots when set.
	Roots *x509.CertPool
	// Insecure accepts any certificate.
	Insecure bool
	// Prompt asks the user whether to trust a self-signed certificate on
	// first use; nil refuses them.
	Prompt func(ctx context.Context, info PromptInfo) (bool, error)
	// Warn receives skipped-line warnings; nil drops them.
	Warn func(error)
	// Now is the clock for chain verification; nil means time.Now.
	Now func() time.Time
}

// TLSConfig returns a copy of base (or a new config) that verifies the
// server with c for the given target: SNI is the host (absent for IP
// literals), Go's own verification is replaced by VerifyConnection.
func (c *Config) TLSConfig(ctx context.Context, host string, port int, urlPath string, base *tls.Config) *tls.Config {
	var t *tls.Config
	if base != nil {
		t = base.Clone()
	} else {
		t = &tls.Config{}
	}
	t.ServerName = host
	t.InsecureSkipVerify = true // replaced by VerifyConnection, which always runs
	t.VerifyConnection = c.VerifyConnection(ctx, host, port, urlPath)
	return t
}

// VerifyConnection returns a tls.Config.VerifyConnection hook for the target.
func (c *Config) VerifyConnection(ctx context.Context, host string, port int, urlPath string) func(tls.ConnectionState) error {
	key := HostKey(host, port, urlPath)
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return ErrNoCertificate
		}
		if c.Insecure {
			return nil
		}
		return c.verify(ctx, key, host, cs.PeerCertificates)
	}
}

func (c *Config) verify(ctx context.Context, key, host string, chain []*x509.Certificate) error {
	leaf := chain[0]
	entries, warns, err := Load(c.KnownHosts)
	if err != nil {
		return err
	}
	for _, w := range warns {
		if c.Warn != nil {
			c.Warn(w)
		}
	}
	first := -1
	for _, e := range entries {
		if e.HostKey != key {
			continue
		}
		if bytes.Equal(e.Cert.Raw, leaf.Raw) {
			return nil
		}
		if first < 0 {
			first = e.Index
		}
	}
	fp := Fingerprint(leaf.Raw)
	if first >= 0 {
		return &MismatchError{HostKey: key, File: c.KnownHosts, Index: first, Fingerprint: fp}
	}
	chainErr := c.verifyChain(host, chain)
	if chainErr == nil {
		return nil
	}
	selfSigned := leaf.CheckSignatureFrom(leaf) == nil
	unknown := &UnknownHostError{HostKey: key, Fingerprint: fp, SelfSigned: selfSigned, Err: chainErr}
	if !selfSigned {
		return unknown
	}
	if c.Prompt == nil {
		unknown.Err = ErrNoPrompt
		return unknown
	}
	ok, err := c.Prompt(ctx, PromptInfo{HostKey: key, Fingerprint: fp, Cert: leaf})
	switch {
	case err != nil:
		unknown.Err = err
		return unknown
	case !ok:
		unknown.Err = ErrDeclined
		return unknown
	}
	return Add(c.KnownHosts, key, leaf.Raw)
}

func (c *Config) verifyChain(host string, chain []*x509.Certificate) error {
	opts := x509.VerifyOptions{
		Roots:         c.Roots,
		DNSName:       host,
		Intermediates: x509.NewCertPool(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if a, err := netip.ParseAddr(host); err == nil {
		opts.DNSName = a.String()
	}
	if c.Now != nil {
		opts.CurrentTime = c.Now()
	}
	for _, ic := range chain[1:] {
		opts.Intermediates.AddCert(ic)
	}
	_, err := chain[0].Verify(opts)
	return err
}
