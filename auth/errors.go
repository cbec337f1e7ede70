package auth

import "errors"

// ErrDenied is the one error [Verifier.Verify] returns for every refused
// request, whatever the cause, so the caller answers the same 401. The
// detailed cause is given to the operator through [Verifier.Log] only.
var ErrDenied = errors.New("auth: access denied")

// Sentinel errors for expected conditions. Server-side causes are wrapped in
// a *Denial and logged; they are never returned to the peer.
var (
	// ErrBadHeader: the Authorization header is missing, has an unknown scheme
	// or cannot be decoded.
	ErrBadHeader = errors.New("auth: malformed authorization header")
	// ErrBadUsername: the user name fails the syntax checks of [ValidateUsername].
	ErrBadUsername = errors.New("auth: invalid user name")
	// ErrUnknownUser: no such system account.
	ErrUnknownUser = errors.New("auth: unknown user")
	// ErrUserMismatch: the Basic user-id differs from the requested user.
	ErrUserMismatch = errors.New("auth: credential user differs from requested user")
	// ErrNoMatchingIdentity: no authorized identity verified the token.
	ErrNoMatchingIdentity = errors.New("auth: no authorized identity accepts the token")
	// ErrBadToken: a JWT failed parsing, signature or claim checks.
	ErrBadToken = errors.New("auth: invalid token")
	// ErrTokenTooLarge: the credential exceeds [MaxTokenSize].
	ErrTokenTooLarge = errors.New("auth: token too large")
	// ErrBadBinding: the connection binding value is not 32 bytes.
	ErrBadBinding = errors.New("auth: connection binding must be 32 bytes")
	// ErrBadProfile: the profile is neither ssh3-alpha nor rth3-00.
	ErrBadProfile = errors.New("auth: unknown profile")
	// ErrPasswordsDisabled: password authentication is switched off or
	// unavailable in this build.
	ErrPasswordsDisabled = errors.New("auth: password authentication disabled")
	// ErrBadPassword: the system refused the password or the account.
	ErrBadPassword = errors.New("auth: password refused")
	// ErrRateLimited: too many recent failures from this source address.
	ErrRateLimited = errors.New("auth: too many failures from this address")
	// ErrIdentityFile: an identity file exists but could not be read.
	ErrIdentityFile = errors.New("auth: cannot read identity file")
	// ErrUnsupportedKey: the key type or size is not usable for SSH3.
	ErrUnsupportedKey = errors.New("auth: unsupported key")
	// ErrNoKey: no usable private key was found.
	ErrNoKey = errors.New("auth: no usable key")
	// ErrRefusedOption: an authorized_keys line carries an option this
	// server does not implement; the line is refused.
	ErrRefusedOption = errors.New("auth: unsupported key option")
	// ErrBadLine: an identity file line does not parse.
	ErrBadLine = errors.New("auth: malformed identity line")
)

// Denial is the detailed reason for a refused request, for the operator's log.
// It never contains the credential itself. errors.Is(d, ErrDenied) is true,
// and errors.Is also matches the wrapped cause.
type Denial struct {
	User   string // requested user (already validated or quoted by %q when logged)
	Remote string // remote address
	Method string // "publickey", "password", "oidc" or "" when unknown
	Err    error  // the cause, wrapping one of the sentinels above
}

func (d *Denial) Error() string {
	return "auth: denied user " + SafeQuote(d.User) + " from " + d.Remote + " (" + d.Method + "): " + d.Err.Error()
}

// Unwrap returns both ErrDenied and the cause.
func (d *Denial) Unwrap() []error { return []error{ErrDenied, d.Err} }
