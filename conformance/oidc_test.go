package conformance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/verify"
)

// TestOIDCIssuer: the suite's provider is discovered and its tokens are
// checked by auth's own verifier; the nonce binds the token, and its
// identity line parses.
func TestOIDCIssuer(t *testing.T) {
	iss, err := StartOIDCIssuer("127.0.0.1:0", "alice@ssh3-conformance.invalid")
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	id, ok, err := verify.ParseIdentityLine(iss.IdentityLine())
	if err != nil || !ok || id.OIDC == nil || id.OIDC.Issuer != iss.URL || id.OIDC.Email != iss.Email {
		t.Fatalf("identity line %q: %+v, %v", iss.IdentityLine(), id, err)
	}
	binding := make([]byte, 32)
	binding[0] = 7
	nonce, err := auth.EncodeBinding(binding)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v := &verify.OIDCVerifier{}
	now := time.Now()
	tok, err := iss.Token(nonce, now)
	if err != nil {
		t.Fatal(err)
	}
	if email, err := v.Check(ctx, tok, *id.OIDC, binding, now); err != nil || email != iss.Email {
		t.Fatalf("bound token: %q, %v", email, err)
	}
	other := append([]byte(nil), binding...)
	other[0] = 8
	if _, err := v.Check(ctx, tok, *id.OIDC, other, now); !errors.Is(err, auth.ErrBadToken) {
		t.Errorf("token on another connection: %v, want ErrBadToken", err)
	}
	bare, _ := iss.Token("", now)
	if _, err := v.Check(ctx, bare, *id.OIDC, binding, now); !errors.Is(err, auth.ErrBadToken) {
		t.Errorf("token without nonce: %v, want ErrBadToken", err)
	}
}
