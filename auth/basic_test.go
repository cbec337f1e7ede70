package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestBasicVector(t *testing.T) {
	// The reference client's Basic header for user ssh3test (password
	// redacted in the vector): same prefix and user part.
	h, err := BasicAuthorization("ssh3test", "pw")
	if err != nil || h != "Basic c3NoM3Rlc3Q6cHc=" {
		t.Fatalf("%q %v", h, err)
	}
}

func TestBasicRefusals(t *testing.T) {
	for _, tc := range []struct{ user, pw string }{
		{"a:b", "x"}, {"", "x"}, {"a\x00", "x"}, {"a", "x\ny"}, {"a\x7f", "x"}, {"a", "\xff"},
	} {
		if _, err := BasicAuthorization(tc.user, tc.pw); !errors.Is(err, ErrBadHeader) {
			t.Errorf("%q/%q: %v", tc.user, tc.pw, err)
		}
	}
	for _, cred := range []string{"!!!", "YWJj", "OmI=", "YTpi", "YTpi\n"} { // "abc", ":b", non-canonical
		if _, _, err := ParseBasic(cred); err == nil && cred != "YTpi" {
			t.Errorf("%q accepted", cred)
		}
	}
}

func TestParseAuthorizationSchemes(t *testing.T) {
	for _, tc := range []struct {
		in, scheme, cred string
	}{
		{"Basic YTpi", SchemeBasic, "YTpi"}, {"basic YTpi", SchemeBasic, "YTpi"}, {"BEARER t.t.t", SchemeBearer, "t.t.t"},
		{"Bearer   tok  ", SchemeBearer, "tok"},
	} {
		s, c, err := ParseAuthorization(tc.in)
		if err != nil || s != tc.scheme || c != tc.cred {
			t.Errorf("%q: %q %q %v", tc.in, s, c, err)
		}
	}
	for _, in := range []string{"", "Basic", "Basic ", "Digest x", "Bearer a b", "Bearer\ttok"} {
		if _, _, err := ParseAuthorization(in); !errors.Is(err, ErrBadHeader) {
			t.Errorf("%q: %v", in, err)
		}
	}
	if _, _, err := ParseAuthorization("Bearer " + strings.Repeat("a", MaxTokenSize+1)); !errors.Is(err, ErrTokenTooLarge) {
		t.Error(err)
	}
}

func TestBasicRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		user := rapid.StringMatching(`[^:\x00-\x1f\x7f]{1,20}`).Draw(t, "user")
		pw := rapid.StringMatching(`[^\x00-\x1f\x7f]{0,30}`).Draw(t, "pw")
		h, err := BasicAuthorization(user, pw)
		if err != nil {
			t.Skip("control character from the generator")
		}
		scheme, cred, err := ParseAuthorization(h)
		if err != nil || scheme != SchemeBasic {
			t.Fatal(err)
		}
		u, p, err := ParseBasic(cred)
		if err != nil || u != user || p != pw {
			t.Fatalf("%q %q %v", u, p, err)
		}
	})
}

func TestPasswordCredential(t *testing.T) {
	c := &PasswordCredential{Password: func(_ context.Context, u string) (string, error) { return "pw-of-" + u, nil }}
	h, err := c.Authorization(context.Background(), ClientContext{User: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	_, cred, _ := ParseAuthorization(h)
	if u, p, _ := ParseBasic(cred); u != "bob" || p != "pw-of-bob" {
		t.Error(u, p)
	}
	if _, err := c.Authorization(context.Background(), ClientContext{User: "a:b"}); err == nil {
		t.Error("user with ':' accepted")
	}
}

func TestValidateUsername(t *testing.T) {
	for _, ok := range []string{"alice", "bob.smith", "user_1", "jürgen", "a-b", "a$"} {
		if err := ValidateUsername(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a/b", "..", "a..b", "a\x00b", "-x", "a b", "a\tb", "a\x1b", "a:b", "\xff", "a\u2028", strings.Repeat("a", MaxUsernameLen+1)} {
		if err := ValidateUsername(bad); !errors.Is(err, ErrBadUsername) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
