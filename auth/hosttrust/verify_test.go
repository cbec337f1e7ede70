package hosttrust

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// makeCert issues a certificate for names, self-signed when parent is nil.
func makeCert(t *testing.T, names []string, isCA bool, parent *tls.Certificate) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{Organization: []string{"test"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	signer, signerCert := any(key), tmpl
	if parent != nil {
		signer, signerCert = parent.PrivateKey, parent.Leaf
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// handshake runs a TLS handshake over loopback TCP (net.Pipe is unbuffered,
// and both sides write at once when the client aborts) and returns the
// client's error and the SNI the server saw.
func handshake(t *testing.T, serverCert tls.Certificate, client *tls.Config) (error, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c1, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	sni := make(chan string, 1)
	srv := tls.Server(c2, &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			sni <- h.ServerName
			return nil, nil
		},
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Handshake()
		c2.Close()
	}()
	err = tls.Client(c1, client).Handshake()
	c1.Close()
	<-done
	return err, <-sni
}

func TestTrustOnFirstUseThenPin(t *testing.T) {
	kh := filepath.Join(t.TempDir(), ".ssh3", "known_hosts")
	self := makeCert(t, []string{"selfsigned.ssh3", "*"}, true, nil)
	var asked []PromptInfo
	answer := true
	c := &Config{KnownHosts: kh, Roots: x509.NewCertPool(), Prompt: func(_ context.Context, p PromptInfo) (bool, error) {
		asked = append(asked, p)
		return answer, nil
	}}
	ctx := context.Background()
	// First contact, user says no.
	answer = false
	err, _ := handshake(t, self, c.TLSConfig(ctx, "127.0.0.1", 4443, "/ssh3-term", nil))
	var unknown *UnknownHostError
	if !errors.As(err, &unknown) || !errors.Is(err, ErrDeclined) || !unknown.SelfSigned {
		t.Fatalf("declined: %v", err)
	}
	if _, err := os.Stat(kh); err == nil {
		t.Error("declined certificate was written")
	}
	// User says yes: the line is written and the fingerprint was shown.
	answer = true
	if err, _ := handshake(t, self, c.TLSConfig(ctx, "127.0.0.1", 4443, "/ssh3-term", nil)); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 2 || asked[1].Fingerprint != Fingerprint(self.Leaf.Raw) || asked[1].HostKey != "127.0.0.1:4443/ssh3-term" {
		t.Errorf("prompts %+v", asked)
	}
	// Second contact: pinned, no prompt.
	if err, _ := handshake(t, self, c.TLSConfig(ctx, "127.0.0.1", 4443, "/ssh3-term", nil)); err != nil || len(asked) != 2 {
		t.Fatalf("pinned: %v, %d prompts", err, len(asked))
	}
	// Another certificate for the same host: hard error naming file and line.
	other := makeCert(t, []string{"selfsigned.ssh3", "*"}, true, nil)
	err, _ = handshake(t, other, c.TLSConfig(ctx, "127.0.0.1", 4443, "/ssh3-term", nil))
	var mm *MismatchError
	if !errors.As(err, &mm) || mm.File != kh || mm.Index != 0 || len(asked) != 2 {
		t.Fatalf("mismatch: %v", err)
	}
	if !strings.Contains(err.Error(), kh) {
		t.Error(err)
	}
	// The same certificate on another port is a different host key.
	if err, _ := handshake(t, self, c.TLSConfig(ctx, "127.0.0.1", 4444, "/ssh3-term", nil)); err != nil || len(asked) != 3 {
		t.Fatalf("other port: %v", err)
	}
}

func TestNoPromptRefusesSelfSigned(t *testing.T) {
	c := &Config{KnownHosts: filepath.Join(t.TempDir(), "kh"), Roots: x509.NewCertPool()}
	err, _ := handshake(t, makeCert(t, []string{"h.example"}, true, nil), c.TLSConfig(context.Background(), "h.example", 443, "/ssh3", nil))
	if !errors.Is(err, ErrNoPrompt) {
		t.Fatal(err)
	}
}

func TestChainVerifiedAgainstRoots(t *testing.T) {
	ca := makeCert(t, nil, true, nil)
	leaf := makeCert(t, []string{"ssh3.example", "192.0.2.1"}, false, &ca)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Leaf)
	prompted := false
	c := &Config{KnownHosts: filepath.Join(t.TempDir(), "kh"), Roots: roots,
		Prompt: func(context.Context, PromptInfo) (bool, error) { prompted = true; return true, nil }}
	ctx := context.Background()
	err, sni := handshake(t, leaf, c.TLSConfig(ctx, "ssh3.example", 443, "/ssh3", nil))
	if err != nil || sni != "ssh3.example" {
		t.Fatalf("%v sni=%q", err, sni)
	}
	if err, sni := handshake(t, leaf, c.TLSConfig(ctx, "192.0.2.1", 443, "/ssh3", nil)); err != nil || sni != "" {
		t.Fatalf("IP: %v sni=%q", err, sni)
	}
	// Wrong name: not self-signed, so no prompt, unknown host.
	err, _ = handshake(t, leaf, c.TLSConfig(ctx, "other.example", 443, "/ssh3", nil))
	var unknown *UnknownHostError
	if !errors.As(err, &unknown) || unknown.SelfSigned || prompted {
		t.Fatalf("wrong name: %v prompted=%v", err, prompted)
	}
}

func TestInsecure(t *testing.T) {
	c := &Config{KnownHosts: filepath.Join(t.TempDir(), "kh"), Insecure: true}
	if err, _ := handshake(t, makeCert(t, nil, false, nil), c.TLSConfig(context.Background(), "x", 1, "/", nil)); err != nil {
		t.Fatal(err)
	}
}

func TestBadLinesWarnButPinStillWorks(t *testing.T) {
	dir := t.TempDir()
	kh := filepath.Join(dir, "kh")
	self := makeCert(t, []string{"selfsigned.ssh3"}, true, nil)
	data := "broken line\n" + string(AppendLine(nil, "h:1/p", self.Leaf.Raw))
	os.WriteFile(kh, []byte(data), 0o600)
	var warns []error
	c := &Config{KnownHosts: kh, Warn: func(e error) { warns = append(warns, e) }}
	if err, _ := handshake(t, self, c.TLSConfig(context.Background(), "h", 1, "/p", nil)); err != nil {
		t.Fatal(err)
	}
	var w *LineWarning
	if len(warns) != 1 || !errors.As(warns[0], &w) || w.Index != 0 {
		t.Errorf("warnings %v", warns)
	}
}
