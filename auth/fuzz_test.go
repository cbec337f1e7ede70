package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func FuzzParseIdentityLine(f *testing.F) {
	v := loadVectors(f)
	for _, id := range []string{"file-authorized-identities-pubkey", "file-authorized-identities-oidc", "file-authorized-identities-comment"} {
		f.Add(v[id].Text)
	}
	pub := v["file-authorized-identities-pubkey"].Text
	for _, opts := range []string{
		`restrict,pty,command="echo \"hi\"" `, `from="10.0.0.0/8,!10.0.0.5,*.example" `,
		`permitopen="[::1]:*",expiry-time="20300101Z" `, `environment="A=B" `, `no-pty,no-x11-forwarding `,
	} {
		f.Add(opts + pub)
	}
	f.Fuzz(func(t *testing.T, line string) {
		id, ok, err := ParseIdentityLine(line)
		if err != nil {
			if ok || id.Key != nil || id.OIDC != nil {
				t.Fatal("error with a result")
			}
			return
		}
		if ok && id.Key == nil && id.OIDC == nil {
			t.Fatal("ok without identity")
		}
		if id.OIDC != nil && len(strings.Fields(line)) != 4 {
			t.Fatal("oidc line without 4 tokens")
		}
		if id.Key != nil {
			if checkPublicKey(id.Key.Key) != nil {
				t.Fatal("unsupported key accepted")
			}
			// The restrictions never contradict the options on the line.
			lower := strings.ToLower(line)
			if strings.Contains(lower, "restrict") && !strings.Contains(lower, "pty") && !id.Key.Restrictions.NoPTY {
				t.Fatal("restrict lost")
			}
		}
	})
}

func FuzzParseIdentities(f *testing.F) {
	v := loadVectors(f)
	f.Add([]byte(v["file-authorized-identities-comment"].Text + "\n" + v["file-authorized-identities-pubkey"].Text + "\n" + v["file-authorized-identities-oidc"].Text + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ids, bad := ParseIdentities(data, "f")
		if n := strings.Count(string(data), "\n") + 1; len(ids)+len(bad) > n {
			t.Fatalf("%d results for %d lines", len(ids)+len(bad), n)
		}
	})
}

func FuzzParseAuthorization(f *testing.F) {
	h, _ := BasicAuthorization("ssh3test", "pw")
	f.Add(h)
	f.Add("basic " + base64.StdEncoding.EncodeToString([]byte("a:b:c")))
	f.Add("Bearer eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.e30.AAAA")
	f.Add("Bearer  x ")
	f.Fuzz(func(t *testing.T, v string) {
		scheme, cred, err := ParseAuthorization(v)
		if err != nil {
			return
		}
		if scheme != SchemeBasic && scheme != SchemeBearer || cred == "" || strings.ContainsAny(cred, " \t") {
			t.Fatalf("%q %q", scheme, cred)
		}
		if scheme != SchemeBasic {
			return
		}
		u, p, err := ParseBasic(cred)
		if err != nil {
			return
		}
		// Round trip: re-encoding gives the canonical header.
		again, err := BasicAuthorization(u, p)
		if err != nil {
			t.Fatalf("decoded credentials refused on encode: %v", err)
		}
		if again != SchemeBasic+" "+cred {
			t.Fatalf("not canonical: %q vs %q", again, cred)
		}
	})
}

func FuzzVerifyJWT(f *testing.F) {
	k := testKeys(f)["ed25519"]
	for _, p := range []Profile{ProfileAlpha, ProfileRTH3} {
		tok, _ := SignJWT(k.signer, params(p, "alice"))
		f.Add(tok)
	}
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		err := VerifyJWT(tok, cryptoPub(k.signer), params(ProfileAlpha, "alice"))
		if err != nil && !errors.Is(err, ErrBadToken) && !errors.Is(err, ErrTokenTooLarge) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}
