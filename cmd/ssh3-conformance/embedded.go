package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssh3-project/ssh3/app/host"
	"github.com/ssh3-project/ssh3/app/server"
	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/verify"
	"github.com/ssh3-project/ssh3/conformance"
)

// embedded is this project's server running in-process on loopback with a
// throwaway certificate, a throwaway ed25519 key authorized for the
// current user through a temporary identity file, and a throwaway password
// for that user checked in-process (not through PAM): the target of the
// suite's default run.
type embedded struct {
	URL      string
	User     string
	KeyFile  string // the throwaway private key, OpenSSH PEM
	Signer   ssh.Signer
	Password string
	// Fixtures are throwaway keys authorized with one option each
	// (conformance.Fixtures), for P-AUTH-1 and P-AUTH-4.
	Fixtures map[string]ssh.Signer
	// OIDC is the suite's OpenID provider, trusted for the user (P-AUTH-3).
	OIDC   *conformance.OIDCIssuer
	dir    string
	srv    *server.Server
	served chan error
}

func startEmbedded() (*embedded, error) {
	me, err := user.Current()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ssh3-conformance-")
	if err != nil {
		return nil, err
	}
	e := &embedded{User: me.Username, dir: dir}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
			if e.OIDC != nil {
				e.OIDC.Close()
			}
		}
	}()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	if e.Signer, err = ssh.NewSignerFromKey(priv); err != nil {
		return nil, err
	}
	blk, err := ssh.MarshalPrivateKey(priv, "ssh3-conformance throwaway key")
	if err != nil {
		return nil, err
	}
	e.KeyFile = filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(e.KeyFile, pem.EncodeToMemory(blk), 0o600); err != nil {
		return nil, err
	}
	lines := ssh.MarshalAuthorizedKey(e.Signer.PublicKey())
	if e.Fixtures, lines, err = fixtureKeys(lines); err != nil {
		return nil, err
	}
	if e.OIDC, err = conformance.StartOIDCIssuer("127.0.0.1:0", me.Username+"@ssh3-conformance.invalid"); err != nil {
		return nil, err
	}
	lines = append(lines, e.OIDC.IdentityLine()+"\n"...)
	idFile := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(idFile, lines, 0o600); err != nil {
		return nil, err
	}
	cert, err := throwawayCert()
	if err != nil {
		return nil, err
	}
	e.Password = rand.Text()
	var log *slog.Logger
	if os.Getenv("SSH3_CONFORMANCE_DEBUG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e.srv = server.New(server.Config{
		Logger: log,
		// Sessions run /bin/sh: the account's own shell may read slow rc
		// files (bash does when SSH_CLIENT is set), which would only
		// measure the account, not the target.
		LookupAccount: func(name string) (*host.Account, error) {
			a, err := host.LookupAccount(name)
			if a != nil {
				a.Shell = "/bin/sh"
			}
			return a, err
		},
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		// Password login for the suite's Basic rows, without PAM (whose
		// stack and the account's real password are not the suite's).
		Passwords: &throwawayPassword{user: me.Username, password: e.Password},
		Verifier: &verify.Verifier{
			// The throwaway key is authorized for the current user only.
			IdentityFiles: func(u *user.User) []string {
				if u.Uid == me.Uid {
					return []string{idFile}
				}
				return verify.DefaultIdentityFiles(u)
			},
			// ID tokens from the suite's own OpenID provider (P-AUTH-3).
			OIDC:         &verify.OIDCVerifier{},
			FailureDelay: -1,
			// The suite provokes some hundred denials from one address;
			// the default per-source limit would then refuse its valid
			// logins too.
			Limiter: verify.NewRateLimiter(1<<20, time.Millisecond, 64),
		},
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.served = make(chan error, 1)
	go func() { e.served <- e.srv.Serve(pc) }()
	e.URL = fmt.Sprintf("https://%s/ssh3-term", pc.LocalAddr())
	ok = true
	return e, nil
}

// Close stops the server and the OpenID provider and removes the keys
// and identity file.
func (e *embedded) Close() {
	_ = e.srv.Close()
	e.OIDC.Close()
	select {
	case <-e.served:
	case <-time.After(5 * time.Second):
	}
	os.RemoveAll(e.dir)
}

// throwawayPassword accepts one password, for one user.
type throwawayPassword struct{ user, password string }

func (p *throwawayPassword) CheckPassword(_ context.Context, user, password, _ string) error {
	if user == p.user && subtle.ConstantTimeCompare([]byte(password), []byte(p.password)) == 1 {
		return nil
	}
	return auth.ErrBadPassword
}

// throwawayCert is a self-signed ECDSA P-256 certificate for 127.0.0.1.
func throwawayCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{Organization: []string{"ssh3-conformance"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"selfsigned.ssh3", "localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// fixtureKeys makes a throwaway key for each conformance fixture and
// appends its authorized_keys line, option included, to lines.
func fixtureKeys(lines []byte) (map[string]ssh.Signer, []byte, error) {
	keys := map[string]ssh.Signer{}
	for _, f := range conformance.Fixtures {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		s, err := ssh.NewSignerFromKey(priv)
		if err != nil {
			return nil, nil, err
		}
		keys[f.Name] = s
		lines = append(lines, conformance.FixtureLine(f, s.PublicKey())+"\n"...)
	}
	return keys, lines, nil
}
