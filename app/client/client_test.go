package client

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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/hosttrust"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// fixedCredential sends one Authorization value.
type fixedCredential string

func (f fixedCredential) Authorization(context.Context, auth.ClientContext) (string, error) {
	return string(f), nil
}

// testServer is a conn.Server on loopback with a self-signed certificate
// that admits the Authorization value "Bearer good" only, and counts the
// CONNECTs it saw.
type testServer struct {
	addr     *net.UDPAddr
	connects atomic.Int64
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ssh3 test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, BasicConstraintsValid: true, IsCA: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{}
	srv := &conn.Server{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		Authenticator: conn.AuthenticatorFunc(func(_ context.Context, r *conn.AuthRequest) (conn.Identity, error) {
			ts.connects.Add(1)
			if r.Authorization != "Bearer good" {
				return conn.Identity{}, errors.New("refused")
			}
			return conn.Identity{User: r.User}, nil
		}),
		Handler: conn.HandlerFunc(func(c *conn.Conversation) { <-c.Done() }),
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = srv.Serve(pc); close(done) }()
	t.Cleanup(func() { _ = srv.Close(); <-done; _ = pc.Close() })
	ts.addr = pc.LocalAddr().(*net.UDPAddr)
	return ts
}

// config connects to ts with creds, trusting its certificate by a
// known_hosts file in a temporary directory.
func (ts *testServer) config(t *testing.T, creds ...auth.Credential) *Config {
	return &Config{
		Target:      Target{Host: "127.0.0.1", Port: ts.addr.Port, Path: conn.DefaultPath, User: "alice"},
		Credentials: creds,
		Trust:       &hosttrust.Config{KnownHosts: filepath.Join(t.TempDir(), "known_hosts")},
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func noOpen(*conn.Conversation) (struct{}, error) { return struct{}{}, nil }

// TestConnectTriesCredentialsInOrder: each refused credential costs a new
// connection (401), the first accepted one wins, and all refused is a
// DeniedError counting them; no credentials is ErrNoCredentials.
func TestConnectTriesCredentialsInOrder(t *testing.T) {
	ts := startServer(t)
	trusting := func(cfg *Config) *Config {
		cfg.AskTrust = func(context.Context, hosttrust.PromptInfo) (bool, error) { return true, nil }
		return cfg
	}
	cfg := trusting(ts.config(t, fixedCredential("Bearer bad1"), fixedCredential("Bearer bad2"), fixedCredential("Bearer good")))
	c, _, err := Connect(ctxT(t), cfg, noOpen)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if n := ts.connects.Load(); n != 3 {
		t.Errorf("%d CONNECTs, want 3 (two refused, one accepted)", n)
	}

	cfg = trusting(ts.config(t, fixedCredential("Bearer bad1"), fixedCredential("Bearer bad2")))
	_, _, err = Connect(ctxT(t), cfg, noOpen)
	var denied *DeniedError
	if !errors.As(err, &denied) || denied.Tried != 2 || !errors.Is(err, ErrPermissionDenied) {
		t.Errorf("all refused: %v, want a DeniedError of 2", err)
	}
	if _, _, err := Connect(ctxT(t), ts.config(t), noOpen); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("no credentials: %v", err)
	}
}

// TestConnectTrustOnFirstUse: a self-signed certificate seen for the first
// time is shown to AskTrust with its fingerprint; accepted, it is pinned in
// known_hosts and the next connection asks nothing; declined, the
// connection fails with hosttrust.ErrDeclined and nothing is pinned.
func TestConnectTrustOnFirstUse(t *testing.T) {
	ts := startServer(t)
	cfg := ts.config(t, fixedCredential("Bearer good"))
	var mu sync.Mutex
	var asked []hosttrust.PromptInfo
	answer := false
	cfg.AskTrust = func(_ context.Context, info hosttrust.PromptInfo) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, info)
		return answer, nil
	}
	if _, _, err := Connect(ctxT(t), cfg, noOpen); !errors.Is(err, hosttrust.ErrDeclined) {
		t.Fatalf("declined: %v", err)
	}
	if b, _ := os.ReadFile(cfg.Trust.KnownHosts); len(b) != 0 {
		t.Errorf("a declined certificate was pinned: %q", b)
	}
	answer = true
	c, _, err := Connect(ctxT(t), cfg, noOpen)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	b, err := os.ReadFile(cfg.Trust.KnownHosts)
	if err != nil || !strings.HasPrefix(string(b), "127.0.0.1:"+strconv.Itoa(ts.addr.Port)+conn.DefaultPath+" x509-certificate ") {
		t.Errorf("known_hosts after accepting: %q %v", b, err)
	}
	c, _, err = Connect(ctxT(t), cfg, noOpen)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if len(asked) != 2 || asked[0].Fingerprint == "" || asked[0].Fingerprint != asked[1].Fingerprint {
		t.Errorf("asked %d times (%+v), want twice with one fingerprint", len(asked), asked)
	}
}

// TestConnectOpensPipelined: open gets the conversation before its 2xx and
// what it returns comes back with the conversation; its error ends the
// attempt.
func TestConnectOpensPipelined(t *testing.T) {
	ts := startServer(t)
	cfg := ts.config(t, fixedCredential("Bearer good"))
	cfg.Trust.Insecure = true
	c, ch, err := Connect(ctxT(t), cfg, func(c *conn.Conversation) (*conn.Channel, error) {
		return c.OpenChannel(ctxT(t), frame.ChannelSession, nil)
	})
	if err != nil || ch == nil || ch.Conversation() != c {
		t.Fatalf("%v %v", ch, err)
	}
	_ = c.Close()
	boom := errors.New("boom")
	if _, _, err := Connect(ctxT(t), cfg, func(*conn.Conversation) (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("open's error: %v", err)
	}
}

// TestConnectRefusedPort: nothing listening is a DialError naming the
// address.
func TestConnectRefusedPort(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	_ = pc.Close()
	cfg := &Config{Target: Target{Host: "127.0.0.1", Port: port, Path: conn.DefaultPath, User: "alice"},
		Credentials: []auth.Credential{fixedCredential("Bearer good")}, Trust: &hosttrust.Config{Insecure: true}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err = Connect(ctx, cfg, noOpen)
	var de *DialError
	if !errors.As(err, &de) || de.Addr != cfg.Target.Addr() {
		t.Errorf("%v, want a DialError for %s", err, cfg.Target.Addr())
	}
}
