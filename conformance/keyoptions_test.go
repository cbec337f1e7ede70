package conformance

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/ssh3-project/ssh3/auth/verify"
)

// TestFixtureLines: every fixture's authorized_keys line parses with auth's
// own parser, and the option set is what the check expects: the
// unsupported one refuses the key, the others load as restrictions.
func TestFixtureLines(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	s, _ := ssh.NewSignerFromKey(priv)
	for _, f := range Fixtures {
		_, err := verify.ParseAuthorizedKeyLine(FixtureLine(f, s.PublicKey()))
		if refused := err != nil; refused != (f.Name == "unsupported-option") {
			t.Errorf("%s: parse error %v", f.Name, err)
		}
	}
}

// TestLoadFixtures reads the keys present and skips absent names.
func TestLoadFixtures(t *testing.T) {
	dir := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	blk, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "no-pty"), pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := LoadFixtures(dir)
	if err != nil || len(keys) != 1 || keys["no-pty"] == nil {
		t.Fatalf("LoadFixtures = %v, %v; want only no-pty", keys, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "expired"), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFixtures(dir); err == nil {
		t.Error("a fixture file that is not a key gave no error")
	}
}
