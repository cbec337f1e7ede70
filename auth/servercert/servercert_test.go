package servercert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/acme"
)

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	c, err := Generate(certFile, keyFile, Options{Hosts: []string{"ssh3.example", "192.0.2.7", "::1"}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{certFile, keyFile} {
		st, err := os.Stat(f)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, st.Mode(), err)
		}
	}
	leaf, _ := x509.ParseCertificate(c.Certificate[0])
	if !slices.Equal(leaf.DNSNames, []string{"selfsigned.ssh3", "*", "ssh3.example"}) || len(leaf.IPAddresses) != 2 {
		t.Errorf("SANs %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
	if k, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Errorf("key %T", leaf.PublicKey)
	}
	if !leaf.NotAfter.Equal(now.Add(DefaultValidity)) || leaf.CheckSignatureFrom(leaf) != nil || leaf.Subject.Organization[0] != Organization {
		t.Errorf("cert %v %v", leaf.NotAfter, leaf.Subject)
	}
	// Usable as its own root for each name, as a reference client does.
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	for _, n := range []string{"selfsigned.ssh3", "ssh3.example", "192.0.2.7"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: n, CurrentTime: now}); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if _, err := Generate(certFile, filepath.Join(dir, "k2"), Options{}); !errors.Is(err, ErrExists) {
		t.Errorf("overwrite: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "k2")); err == nil {
		t.Error("key left behind after refusing the certificate")
	}
	if _, err := Generate(filepath.Join(dir, "c3"), keyFile, Options{}); !errors.Is(err, ErrExists) {
		t.Errorf("overwrite key: %v", err)
	}
	l, err := Load(certFile, keyFile)
	if err != nil || !slices.Equal(l.Certificate[0], c.Certificate[0]) {
		t.Errorf("load: %v", err)
	}
	if _, err := Load(certFile, filepath.Join(dir, "missing")); err == nil {
		t.Error("load of missing key")
	}
	tc := TLSConfig(l, "h3")
	if tc.MinVersion != tls.VersionTLS13 || tc.NextProtos[0] != "h3" {
		t.Error(tc)
	}
}

func TestNewACMEWiring(t *testing.T) {
	if _, _, err := NewACME(ACMEConfig{Hosts: []string{"a.example"}}); !errors.Is(err, ErrACMEConfig) {
		t.Error(err)
	}
	m, tc, err := NewACME(ACMEConfig{Hosts: []string{"a.example"}, CacheDir: t.TempDir(), AcceptTOS: true, DirectoryURL: "https://127.0.0.1:1/dir"}, "h3")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tc.NextProtos, []string{"h3", acme.ALPNProto}) || tc.GetCertificate == nil || m.Client.DirectoryURL != "https://127.0.0.1:1/dir" {
		t.Errorf("%v", tc.NextProtos)
	}
	// Host policy: a name outside Hosts is refused before any network use.
	if _, err := tc.GetCertificate(&tls.ClientHelloInfo{ServerName: "evil.example"}); err == nil {
		t.Error("certificate for a name outside the host list")
	}
}
