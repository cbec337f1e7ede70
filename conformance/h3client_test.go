package conformance

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/wire"
)

func TestSettingsFrame(t *testing.T) {
	s := []Setting{{settingMaxFieldSection, 1 << 16}, {settingConnectProtocol, 1}, {settingH3Datagram, 1}}
	b := AppendSettingsFrame(nil, s)
	typ, payload, err := readFrame(bytes.NewReader(b))
	if err != nil || typ != h3FrameSettings {
		t.Fatalf("readFrame: %d %v", typ, err)
	}
	got, err := ParseSettingsPayload(payload)
	if err != nil || len(got) != 3 || got[2] != s[2] {
		t.Fatalf("ParseSettingsPayload = %v, %v", got, err)
	}
	// The server's SETTINGS as the reference sends them: 00 04 02 33 01.
	if b := AppendSettingsFrame([]byte{0}, []Setting{{0x33, 1}}); !bytes.Equal(b, []byte{0x00, 0x04, 0x02, 0x33, 0x01}) {
		t.Errorf("control stream bytes % x", b)
	}
	if _, err := ParseSettingsPayload([]byte{0x33}); err == nil {
		t.Error("truncated setting accepted")
	}
}

func TestHeadersRoundTrip(t *testing.T) {
	in := []Field{{":method", "CONNECT"}, {":protocol", "ssh3"}, {":scheme", "http"}, {"authorization", "Bearer x"}}
	b := EncodeHeaders(in)
	typ, payload, err := readFrame(bytes.NewReader(b))
	if err != nil || typ != h3FrameHeaders {
		t.Fatal(typ, err)
	}
	out, err := decodeFields(payload)
	if err != nil || len(out) != len(in) {
		t.Fatal(out, err)
	}
	for i := range in {
		if in[i] != out[i] {
			t.Errorf("field %d: %v, want %v", i, out[i], in[i])
		}
	}
}

func TestReadFrameBounds(t *testing.T) {
	huge := wire.AppendVarint([]byte{h3FrameHeaders}, 1<<40)
	if _, _, err := readFrame(bytes.NewReader(huge)); err == nil {
		t.Error("a frame claiming 2^40 bytes was accepted")
	}
	for n := 1; n < 4; n++ {
		b := EncodeHeaders([]Field{{":status", "200"}})
		if _, _, err := readFrame(bytes.NewReader(b[:n])); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("prefix %d: %v", n, err)
		}
	}
	if _, _, err := readFrame(bytes.NewReader(nil)); err != io.EOF {
		t.Errorf("empty: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	if got := CodeName(0x10e); got != "H3_MESSAGE_ERROR 0x10e" {
		t.Error(got)
	}
	if got := Describe(io.EOF); got != "FIN" {
		t.Error(got)
	}
	if got := Describe(nil); got != "no error" {
		t.Error(got)
	}
}

// TestSuiteTokensAgainstAuth cross-checks the suite's own token, binding
// and Basic code (built from the spec, not from auth) with auth's: a valid
// token of every key kind verifies, the binding renders the same, Basic
// round-trips.
func TestSuiteTokensAgainstAuth(t *testing.T) {
	bind := bytes.Repeat([]byte{9}, 32)
	now := time.Now()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	r2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, k := range map[string]crypto.Signer{"ed25519": ed, "p256": p256, "p384": p384, "rsa": r2048} {
		s, err := ssh.NewSignerFromKey(k)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range frame.Profiles() {
			tok, err := signValid(s, p, "alice", bind, now)
			if err != nil {
				t.Fatalf("%s %s: %v", name, p, err)
			}
			params := auth.JWTParams{Profile: auth.Profile(p.Name()), User: "alice", Binding: bind, Now: now}
			if err := auth.VerifyJWT(tok, k.Public(), params); err != nil {
				t.Errorf("%s %s: the suite's valid token is refused by auth: %v", name, p, err)
			}
			params.User = "bob"
			if err := auth.VerifyJWT(tok, k.Public(), params); err == nil {
				t.Errorf("%s %s: alice's token accepted for bob", name, p)
			}
		}
	}
	mine, _ := encodeBinding(bind)
	theirs, _ := auth.EncodeBinding(bind)
	if mine != theirs {
		t.Errorf("binding %q, auth's %q", mine, theirs)
	}
	if _, err := encodeBinding(bind[:31]); err == nil {
		t.Error("a 31-byte binding encoded")
	}
	h, _ := auth.BasicAuthorization("alice", "pa:ss word")
	if u, pw, err := parseBasic(strings.TrimPrefix(h, "Basic ")); err != nil || u != "alice" || pw != "pa:ss word" {
		t.Errorf("Basic %q parsed as %q %q %v", h, u, pw, err)
	}
	for _, bad := range []string{"", "!!!", base64.StdEncoding.EncodeToString([]byte("nocolon")), base64.StdEncoding.EncodeToString([]byte("a\n:b"))} {
		if _, _, err := parseBasic(bad); err == nil {
			t.Errorf("Basic %q accepted", bad)
		}
	}
}

func TestHandBuiltTokens(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	s, _ := ssh.NewSignerFromKey(priv)
	bind := bytes.Repeat([]byte{7}, 32)
	now := time.Now()
	for _, p := range frame.Profiles() {
		alg, claims, err := validClaims(s, p, "alice", bind, now)
		if err != nil || alg != "EdDSA" {
			t.Fatal(alg, err)
		}
		tok, err := SignClaims(s, alg, claims)
		if err != nil {
			t.Fatal(err)
		}
		params := auth.JWTParams{Profile: auth.Profile(p.Name()), User: "alice", Binding: bind, Now: now}
		if err := auth.VerifyJWT(tok, s.PublicKey().(ssh.CryptoPublicKey).CryptoPublicKey(), params); err != nil {
			t.Errorf("%s: re-signed valid claims rejected: %v", p, err)
		}
		for _, bad := range []string{"none", "HS256", "RS512"} {
			tok, _ := SignClaims(s, bad, claims)
			if err := auth.VerifyJWT(tok, s.PublicKey().(ssh.CryptoPublicKey).CryptoPublicKey(), params); err == nil {
				t.Errorf("%s: alg %s accepted by auth.VerifyJWT", p, bad)
			}
		}
		delete(claims, "exp")
		tok, _ = SignClaims(s, alg, claims)
		if err := auth.VerifyJWT(tok, s.PublicKey().(ssh.CryptoPublicKey).CryptoPublicKey(), params); err == nil {
			t.Errorf("%s: token without exp accepted", p)
		}
	}
}

func TestQueryEscape(t *testing.T) {
	if got := queryEscape("a b/é"); got != "a%20b%2F%C3%A9" {
		t.Error(got)
	}
}
