package conn

import (
	"context"
	"net"
	"net/http"

	"github.com/ssh3-project/ssh3/frame"
)

// Authenticator decides whether a CONNECT may become a conversation (§4).
// Any error gives the same 401, whatever its cause (X-ROB-16). This package
// declares the interface it needs; the auth package is adapted to it by the
// layer above.
type Authenticator interface {
	Authenticate(ctx context.Context, r *AuthRequest) (Identity, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, r *AuthRequest) (Identity, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, r *AuthRequest) (Identity, error) {
	return f(ctx, r)
}

var _ Authenticator = AuthenticatorFunc(nil)

// PasswordAdvertiser is an optional capability of an Authenticator: when
// PasswordsEnabled reports true, 401 responses also offer
// `Basic realm="ssh3"` (G15).
type PasswordAdvertiser interface {
	PasswordsEnabled() bool
}

// AuthRequest is what an Authenticator sees of a CONNECT.
type AuthRequest struct {
	Profile       *frame.Profile
	Authorization string // the raw Authorization header value, "" if absent
	User          string // the percent-decoded ?user= value
	Exporter      []byte // EXPORTER-SSH3, 32 bytes, of this connection (§2.6)
	RemoteAddr    net.Addr
	Header        http.Header
	PeerVersion   frame.PeerVersion
}
