package auth_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/ssh3-project/ssh3/auth"
)

func ExampleBasicAuthorization() {
	h, err := auth.BasicAuthorization("ssh3test", "pw")
	fmt.Println(h, err)
	_, err = auth.BasicAuthorization("a:b", "pw")
	fmt.Println(err)
	// Output:
	// Basic c3NoM3Rlc3Q6cHc= <nil>
	// auth: malformed authorization header: basic: user-id contains ':'
}

func ExampleEncodeBinding() {
	jti, _ := auth.EncodeBinding(make([]byte, 32))
	fmt.Println(jti, len(jti))
	// Output: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= 44
}

// The connection layer declares its own small interface and adapts the
// Verifier with a closure; it never imports this package's types elsewhere.
func ExampleVerifier_Verify() {
	type authenticator func(ctx context.Context, profile, authorization, user string, binding []byte, remote net.Addr) (account string, err error)

	v := &auth.Verifier{
		Passwords: &auth.PAM{}, // nil to switch passwords off
		OIDC:      &auth.OIDCVerifier{},
		Log:       func(d *auth.Denial) { log.Print(d) }, // operator log; no secrets
	}
	var adapt authenticator = func(ctx context.Context, profile, authorization, user string, binding []byte, remote net.Addr) (string, error) {
		id, err := v.Verify(ctx, auth.Request{
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
