package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ssh3-project/ssh3/auth/internal/authtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func TestParsePrivateKeyFormats(t *testing.T) {
	for name, k := range authtest.Keys(t) {
		openssh, err := ssh.MarshalPrivateKey(k.Priv, "c")
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k.Priv)
		pkcs8 := &pem.Block{Type: "PRIVATE KEY", Bytes: der}
		blocks := map[string]*pem.Block{"openssh": openssh, "pkcs8": pkcs8}
		// bcrypt_pbkdf is slow: the encrypted form only for one key type.
		var enc *pem.Block
		if name == "ed25519" {
			enc, err = ssh.MarshalPrivateKeyWithPassphrase(k.Priv, "c", []byte("s3cret"))
			if err != nil {
				t.Fatal(err)
			}
			blocks["encrypted"] = enc
		}
		for format, block := range blocks {
			asked := 0
			s, err := ParsePrivateKey(pem.EncodeToMemory(block), name, func(string) ([]byte, error) {
				asked++
				return []byte("s3cret"), nil
			})
			if err != nil {
				t.Errorf("%s %s: %v", name, format, err)
				continue
			}
			if (format == "encrypted") != (asked == 1) {
				t.Errorf("%s %s: asked %d times", name, format, asked)
			}
			if string(s.PublicKey().Marshal()) != string(k.Signer.PublicKey().Marshal()) {
				t.Errorf("%s %s: other key", name, format)
			}
			tok, err := SignJWT(s, params(ProfileAlpha, "u"))
			if err == nil {
				err = VerifyJWT(tok, authtest.CryptoPub(k.Signer), params(ProfileAlpha, "u"))
			}
			if err != nil {
				t.Errorf("%s %s: %v", name, format, err)
			}
		}
		if enc == nil {
			continue
		}
		if _, err := ParsePrivateKey(pem.EncodeToMemory(enc), name, func(string) ([]byte, error) { return []byte("wrong"), nil }); err == nil {
			t.Errorf("%s: wrong passphrase accepted", name)
		}
		if _, err := ParsePrivateKey(pem.EncodeToMemory(enc), name, nil); err == nil {
			t.Errorf("%s: encrypted key without passphrase source", name)
		}
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	der, _ := x509.MarshalPKCS8PrivateKey(small)
	if _, err := ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "small", nil); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("RSA 1024: %v", err)
	}
}

func TestLoadDefaultKeys(t *testing.T) {
	home := t.TempDir()
	if _, err := LoadDefaultKeys(home, nil); !errors.Is(err, ErrNoKey) {
		t.Errorf("empty home: %v", err)
	}
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	b, _ := ssh.MarshalPrivateKey(authtest.Keys(t)["p256"].Priv, "")
	os.WriteFile(filepath.Join(home, ".ssh", "id_ecdsa"), pem.EncodeToMemory(b), 0o600)
	os.WriteFile(filepath.Join(home, ".ssh", "id_rsa"), []byte("junk"), 0o600)
	got, err := LoadDefaultKeys(home, nil)
	if len(got) != 1 || err == nil || errors.Is(err, ErrNoKey) {
		t.Errorf("%d keys, %v", len(got), err)
	}
}

// serveAgent runs an in-memory keyring behind a unix socket.
func serveAgent(t *testing.T, keyring agent.Agent) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				agent.ServeAgent(keyring, c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return sock
}

func TestAgentSigners(t *testing.T) {
	keyring := agent.NewKeyring()
	ks := authtest.Keys(t)
	for _, k := range ks {
		if err := keyring.Add(agent.AddedKey{PrivateKey: k.Priv}); err != nil {
			t.Fatal(err)
		}
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	keyring.Add(agent.AddedKey{PrivateKey: small})
	t.Setenv(AgentSocketEnv, serveAgent(t, keyring))
	a, err := DialAgent("")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	signers, err := a.UsableSigners()
	if err != nil || len(signers) != len(ks) {
		t.Fatalf("%d signers, %v", len(signers), err)
	}
	for name, k := range ks {
		s, err := a.SignerFor(k.Signer.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		for _, prof := range []Profile{ProfileAlpha, ProfileRTH3} {
			tok, err := SignJWT(s, params(prof, "alice"))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := VerifyJWT(tok, authtest.CryptoPub(k.Signer), params(prof, "alice")); err != nil {
				t.Errorf("%s %s: %v", name, prof, err)
			}
		}
	}
	other, _ := ssh.NewPublicKey(&small.PublicKey)
	if _, err := a.SignerFor(other); !errors.Is(err, ErrNoKey) {
		t.Error(err)
	}
}

func TestEcdsaFixed(t *testing.T) {
	got, err := ecdsaFixed(ssh.Marshal(struct{ R, S []byte }{[]byte{1}, []byte{2}}), 32)
	if err != nil || len(got) != 64 || got[31] != 1 || got[63] != 2 || got[0] != 0 {
		t.Errorf("padding: %x %v", got, err)
	}
	big := make([]byte, 34)
	big[1] = 1
	for _, tc := range []struct {
		name string
		blob []byte
		ok   bool
	}{
		{"r wider than the curve", ssh.Marshal(struct{ R, S []byte }{big, []byte{2}}), false},
		{"zero r", ssh.Marshal(struct{ R, S []byte }{nil, []byte{2}}), false},
		{"negative s", ssh.Marshal(struct{ R, S []byte }{[]byte{1}, []byte{0x80}}), false},
		{"garbage", []byte{0, 0, 0, 9}, false},
		{"empty", nil, false},
	} {
		_, err := ecdsaFixed(tc.blob, 32)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
