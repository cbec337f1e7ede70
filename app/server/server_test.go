package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssh3-project/ssh3/app/client"
	"github.com/ssh3-project/ssh3/app/host"
	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/hosttrust"
	"github.com/ssh3-project/ssh3/auth/verify"
	"github.com/ssh3-project/ssh3/frame"
)

// testCert is a throwaway self-signed certificate for 127.0.0.1.
func testCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"ssh3 test"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"selfsigned.ssh3", "localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// testLogger is where the test servers log; nil discards.
var testLogger *slog.Logger

// fixture is a server on loopback that knows one key of the current user.
type fixture struct {
	addr   string
	user   string
	signer ssh.Signer
	srv    *Server
}

func startServer(t *testing.T) *fixture {
	t.Helper()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(t.TempDir(), "authorized_keys")
	if err := os.WriteFile(idFile, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := New(Config{
		Logger:    testLogger,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{testCert(t)}},
		Verifier: &verify.Verifier{
			IdentityFiles: func(*user.User) []string { return []string{idFile} },
			FailureDelay:  -1,
		},
	})
	// The account's own shell may read slow rc files (bash does when
	// SSH_CLIENT is set); the tests run /bin/sh.
	srv.lookupAccount = func(name string) (*host.Account, error) {
		a, err := host.LookupAccount(name)
		if a != nil {
			a.Shell = "/bin/sh"
		}
		return a, err
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(pc) }()
	t.Cleanup(func() {
		_ = srv.Close()
		<-served
	})
	return &fixture{addr: pc.LocalAddr().String(), user: me.Username, signer: signer, srv: srv}
}

func (f *fixture) clientConfig(t *testing.T, p *frame.Profile) *client.Config {
	host, port, _ := net.SplitHostPort(f.addr)
	var n int
	for _, c := range port {
		n = n*10 + int(c-'0')
	}
	return &client.Config{
		Target:      client.Target{Host: host, Port: n, Path: "/ssh3-term", User: f.user},
		Profile:     p,
		Credentials: []auth.Credential{&auth.KeyCredential{Signer: f.signer}},
		Trust:       &hosttrust.Config{Insecure: true},
	}
}

func runCommand(t *testing.T, f *fixture, p *frame.Profile, command, stdin string) (string, string, session.Exit) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	scfg := &session.ClientConfig{Command: command, Stdout: &out, Stderr: &errb}
	if stdin != "" {
		scfg.Stdin = strings.NewReader(stdin)
	}
	exit, err := client.Run(ctx, f.clientConfig(t, p), scfg, client.Options{})
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return out.String(), errb.String(), exit
}

func TestSessionEndToEnd(t *testing.T) {
	f := startServer(t)
	for _, p := range frame.Profiles() {
		t.Run(p.Name(), func(t *testing.T) {
			out, errOut, exit := runCommand(t, f, p, "echo hello; echo oops >&2; exit 3", "")
			if out != "hello\n" || errOut != "oops\n" || exit.Status != 3 {
				t.Errorf("stdout %q stderr %q exit %+v", out, errOut, exit)
			}
			out, _, exit = runCommand(t, f, p, "cat; echo end", "piped data")
			if out != "piped dataend\n" || exit.Status != 0 {
				t.Errorf("stdin EOF: stdout %q exit %+v", out, exit)
			}
			_, _, exit = runCommand(t, f, p, "kill -9 $$", "")
			if exit.Signal != "KILL" {
				t.Errorf("kill -9: exit %+v", exit)
			}
		})
	}
}

func TestWrongKeyDenied(t *testing.T) {
	f := startServer(t)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	s, _ := ssh.NewSignerFromKey(other)
	cfg := f.clientConfig(t, frame.Alpha)
	cfg.Credentials = []auth.Credential{&auth.KeyCredential{Signer: s}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := client.Run(ctx, cfg, &session.ClientConfig{Command: "true", Stdout: &bytes.Buffer{}}, client.Options{})
	if !errors.Is(err, client.ErrPermissionDenied) {
		t.Fatalf("err = %v, want permission denied", err)
	}
	// A second credential that works is tried next (as ssh tries keys).
	cfg.Credentials = append(cfg.Credentials, &auth.KeyCredential{Signer: f.signer})
	if _, err := client.Run(ctx, cfg, &session.ClientConfig{Command: "true", Stdout: &bytes.Buffer{}}, client.Options{}); err != nil {
		t.Fatalf("second key: %v", err)
	}
}
