package verify_test

import (
	"context"
	"log"
	"net"
	"time"

	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/verify"
)

// The connection layer declares its own small interface and adapts the
// Verifier with a closure; it never imports this package's types elsewhere.
func ExampleVerifier_Verify() {
	type authenticator func(ctx context.Context, profile, authorization, user string, binding []byte, remote net.Addr) (account string, err error)

	v := &verify.Verifier{
		Passwords: &verify.PAM{}, // nil to switch passwords off
		OIDC:      &verify.OIDCVerifier{},
		Log:       func(d *auth.Denial) { log.Print(d) }, // operator log; no secrets
	}
	var adapt authenticator = func(ctx context.Context, profile, authorization, user string, binding []byte, remote net.Addr) (string, error) {
		id, err := v.Verify(ctx, verify.Request{
			Profile: auth.Profile(profile), Authorization: authorization, User: user,
			Binding: binding, Remote: remote, Now: time.Now(),
		})
		if err != nil {
			return "", err // always auth.ErrDenied: answer 401
		}
		return id.User.Username, nil
	}
	_ = adapt
}
