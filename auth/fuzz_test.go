package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/auth/internal/authtest"
)

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
	k := authtest.Keys(f)["ed25519"]
	for _, p := range []Profile{ProfileAlpha, ProfileRTH3} {
		tok, _ := SignJWT(k.Signer, params(p, "alice"))
		f.Add(tok)
	}
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		err := VerifyJWT(tok, authtest.CryptoPub(k.Signer), params(ProfileAlpha, "alice"))
		if err != nil && !errors.Is(err, ErrBadToken) && !errors.Is(err, ErrTokenTooLarge) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}
