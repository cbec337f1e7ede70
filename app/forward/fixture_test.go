package forward_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssh3-project/ssh3/app/client"
	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/app/server"
	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/hosttrust"
	"github.com/ssh3-project/ssh3/auth/verify"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// testCert is a throwaway self-signed certificate for 127.0.0.1 (copied
// from app/server's tests).
func testCert(t testing.TB) tls.Certificate {
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

// fixture is a server on loopback that knows one key of the current user.
type fixture struct {
	addr   string
	user   string
	signer ssh.Signer
	srv    *server.Server
	keys   string // the authorized_keys file
}

// startServer starts a server; options are authorized_keys options for
// the test key ("" for none).
func startServer(t testing.TB, policy forward.Policy, options string) *fixture {
	t.Helper()
	return startServerWith(t, policy, options, nil)
}

// startServerWith is startServer with a hook that may register handlers
// before the server serves.
func startServerWith(t testing.TB, policy forward.Policy, options string, hook func(*server.Server)) *fixture {
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
	line := ssh.MarshalAuthorizedKey(signer.PublicKey())
	if options != "" {
		line = append([]byte(options+" "), line...)
	}
	if err := os.WriteFile(idFile, line, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{testCert(t)}},
		Verifier: &verify.Verifier{
			IdentityFiles: func(*user.User) []string { return []string{idFile} },
			FailureDelay:  -1,
		},
		Forwarding: policy,
	})
	if hook != nil {
		hook(srv)
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
	return &fixture{addr: pc.LocalAddr().String(), user: me.Username, signer: signer, srv: srv, keys: idFile}
}

func (f *fixture) clientConfig(p *frame.Profile) *client.Config {
	host, port, _ := net.SplitHostPort(f.addr)
	n, _ := strconv.Atoi(port)
	return &client.Config{
		Target:      client.Target{Host: host, Port: n, Path: "/ssh3-term", User: f.user},
		Profile:     p,
		Credentials: []auth.Credential{&auth.KeyCredential{Signer: f.signer}},
		Trust:       &hosttrust.Config{Insecure: true},
	}
}

// notes collects the one-line messages a client prints.
type notes struct {
	mu  sync.Mutex
	msg []string
}

func (n *notes) add(m string) {
	n.mu.Lock()
	n.msg = append(n.msg, m)
	n.mu.Unlock()
}

func (n *notes) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.msg...)
}

// connect opens an established conversation and a forwarding client on it.
func connect(t testing.TB, f *fixture, p *frame.Profile) (*forward.Client, *notes) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conv, _, err := client.Connect(ctx, f.clientConfig(p), func(*conn.Conversation) (struct{}, error) { return struct{}{}, nil })
	if err != nil {
		t.Fatalf("%s: connect: %v", p, err)
	}
	n := &notes{}
	fc := &forward.Client{Conv: conv, Notify: n.add}
	t.Cleanup(func() {
		_ = fc.Close()
		_ = conv.Close()
		fc.Wait()
	})
	return fc, n
}

// profiles runs fn once per profile.
func profiles(t *testing.T, fn func(t *testing.T, p *frame.Profile)) {
	for _, p := range frame.Profiles() {
		t.Run(p.Name(), func(t *testing.T) { fn(t, p) })
	}
}

func listenTCP(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

// serveTCP runs handle for every connection to ln.
func serveTCP(ln net.Listener, handle func(net.Conn)) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
}

func portOf(a net.Addr) int {
	_, p, _ := net.SplitHostPort(a.String())
	n, _ := strconv.Atoi(p)
	return n
}

func netipAddrPort(ip string, port int) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(ip), uint16(port))
}
