// Package authtest holds what the tests of auth and auth/verify share: one
// key of each accepted kind, fixed times and bindings, and the reference's
// vectors.
package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Key is a private key with its ssh.Signer and authorized_keys line.
type Key struct {
	Name   string
	Priv   crypto.Signer
	Signer ssh.Signer
	Line   string // "type base64 comment"
}

var (
	keysOnce sync.Once
	keys     map[string]*Key
)

// Keys returns one key of each accepted kind, generated once per run.
func Keys(t testing.TB) map[string]*Key {
	t.Helper()
	keysOnce.Do(func() {
		keys = map[string]*Key{}
		_, ed, _ := ed25519.GenerateKey(rand.Reader)
		p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		r2048, _ := rsa.GenerateKey(rand.Reader, 2048)
		for name, k := range map[string]crypto.Signer{"ed25519": ed, "p256": p256, "p384": p384, "rsa": r2048} {
			s, err := ssh.NewSignerFromKey(k)
			if err != nil {
				panic(err)
			}
			line := string(ssh.MarshalAuthorizedKey(s.PublicKey()))
			keys[name] = &Key{Name: name, Priv: k, Signer: s, Line: line[:len(line)-1] + " " + name + "@test"}
		}
	})
	return keys
}

// CryptoPub is s's public key in the standard library form.
func CryptoPub(s ssh.Signer) crypto.PublicKey {
	return s.PublicKey().(ssh.CryptoPublicKey).CryptoPublicKey()
}

// Fixed times and connection bindings.
var (
	Now          = time.Unix(1_790_000_000, 0)
	Binding      = []byte("0123456789abcdef0123456789abcdef")
	OtherBinding = []byte("fedcba9876543210fedcba9876543210")
)

// Vector is one entry of the interop vector file.
type Vector struct {
	ID     string         `json:"id"`
	Text   string         `json:"text"`
	Fields map[string]any `json:"fields"`
}

// Vectors reads the reference vectors from the project's spec/vectors, or
// from ../shared/vectors next to the repository.
func Vectors(t testing.TB) map[string]Vector {
	t.Helper()
	const name = "ssh3-alpha-v0.1.7.json"
	var data []byte
	var err error
	root, _ := os.Getwd()
	for _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil && filepath.Dir(root) != root; _, err = os.Stat(filepath.Join(root, "go.mod")) {
		root = filepath.Dir(root)
	}
	for _, dir := range []string{filepath.Join(root, "spec", "vectors"), filepath.Join(root, "..", "shared", "vectors")} {
		if data, err = os.ReadFile(filepath.Join(dir, name)); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("vectors not found: %v", err)
	}
	var f struct {
		Vectors []Vector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	out := map[string]Vector{}
	for _, v := range f.Vectors {
		out[v.ID] = v
	}
	return out
}

// Netip4 is 203.0.113.b (TEST-NET-3).
func Netip4(b byte) netip.Addr { return netip.AddrFrom4([4]byte{203, 0, 113, b}) }
