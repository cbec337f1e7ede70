package server

import (
	"context"
	"errors"
	"os"
	"os/user"

	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/verify"
	"github.com/ssh3-project/ssh3/conn"
)

// authenticator adapts verify.Verifier to conn.Authenticator.
type authenticator struct {
	v         *verify.Verifier
	passwords bool
}

var _ conn.Authenticator = (*authenticator)(nil)
var _ conn.PasswordAdvertiser = (*authenticator)(nil)

func (a *authenticator) Authenticate(ctx context.Context, r *conn.AuthRequest) (conn.Identity, error) {
	id, err := a.v.Verify(ctx, verify.Request{
		Profile:       auth.Profile(r.Profile.Name()),
		Authorization: r.Authorization,
		User:          r.User,
		Binding:       r.Exporter,
		Remote:        r.RemoteAddr,
	})
	if err != nil {
		return conn.Identity{}, err
	}
	return conn.Identity{User: id.User.Username, Extra: id}, nil
}

func (a *authenticator) PasswordsEnabled() bool { return a.passwords }

// errOtherUser denies, at authentication, any account but the server's
// own when the server cannot switch users.
var errOtherUser = errors.New("server: not running as root: only the server's own user is served")

// ownUserOnly wraps a user lookup so that a server not run as root knows
// only its own account.
func ownUserOnly(lookup func(string) (*user.User, error)) func(string) (*user.User, error) {
	if os.Geteuid() == 0 {
		return lookup
	}
	if lookup == nil {
		lookup = user.Lookup
	}
	return func(name string) (*user.User, error) {
		u, err := lookup(name)
		if err != nil {
			return nil, err
		}
		if u.Uid != itoaUID() {
			return nil, errOtherUser
		}
		return u, nil
	}
}
