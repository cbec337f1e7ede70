package verify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/user"
	"path/filepath"
	"time"

	"github.com/ssh3-project/ssh3/auth"

	"golang.org/x/crypto/ssh"
)

// Request is what the server knows when a CONNECT asks to be authenticated.
type Request struct {
	Profile       auth.Profile
	Authorization string   // the Authorization header value
	User          string   // the ?user= query value
	Binding       []byte   // this connection's EXPORTER-SSH3 value, 32 bytes
	Remote        net.Addr // the peer's address (from=, rate limiting, logs)
	Now           time.Time
}

// Method names in Identity.Method and auth.Denial.Method.
const (
	MethodPublicKey = "publickey"
	MethodPassword  = "password"
	MethodOIDC      = "oidc"
)

// Identity is an authenticated user and what the session may do.
type Identity struct {
	User         *user.User
	Method       string
	Key          ssh.PublicKey // MethodPublicKey
	Email        string        // MethodOIDC
	Source       string        // "file:line" of the identity that matched, if any
	Restrictions auth.Restrictions
}

// KeyRestrictions are the limits the matched key's options set (none for a
// password or OIDC login).
func (id *Identity) KeyRestrictions() *auth.Restrictions { return &id.Restrictions }

// Superuser reports whether the account is root (uid 0).
func (id *Identity) Superuser() bool { return id.User != nil && id.User.Uid == "0" }

// PasswordChecker checks a system password and the account's policy.
// remoteHost is the client's IP address (for PAM_RHOST), possibly "".
type PasswordChecker interface {
	CheckPassword(ctx context.Context, user, password, remoteHost string) error
}

// Defaults of the zero Verifier.
const (
	DefaultFailureDelay   = time.Second
	DefaultFailureBurst   = 10
	DefaultFailureRefill  = 6 * time.Second
	DefaultLimiterEntries = 4096
)

// Verifier authenticates CONNECT requests (protocol notes §4). The zero
// value is usable: system accounts, the default identity files, public keys
// only. Its fields must not change once Verify has been called.
type Verifier struct {
	// LookupUser finds a system account; nil means os/user.Lookup.
	LookupUser func(name string) (*user.User, error)
	// IdentityFiles lists a user's files in reading order; nil means
	// DefaultIdentityFiles.
	IdentityFiles func(u *user.User) []string
	// Passwords checks Basic credentials; nil refuses them.
	Passwords PasswordChecker
	// OIDC checks OpenID Connect ID tokens against the user's oidc lines;
	// nil ignores those lines.
	OIDC *OIDCVerifier
	// FailureDelay is how long after its start every failure returns; 0 means
	// DefaultFailureDelay, negative means none.
	FailureDelay time.Duration
	// Limiter charges failures per source; nil means a default limiter.
	Limiter *RateLimiter
	// Now and Sleep are the clock; nil means the real one.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration)
	// Log receives the reason for each denial; LogLine each skipped line of
	// an identity file. Neither ever sees a credential.
	Log     func(*auth.Denial)
	LogLine func(*LineError)

	limiter lazyLimiter
}

// DefaultIdentityFiles is ~/.ssh3/authorized_identities then
// ~/.ssh/authorized_keys (protocol notes §4.5).
func DefaultIdentityFiles(u *user.User) []string {
	return []string{
		filepath.Join(u.HomeDir, ".ssh3", "authorized_identities"),
		filepath.Join(u.HomeDir, ".ssh", "authorized_keys"),
	}
}

// Verify authenticates req. On success it returns the identity; on any
// failure it returns exactly auth.ErrDenied (the cause goes to v.Log only), after
// the same delay, so the caller answers the same 401 whatever went wrong.
func (v *Verifier) Verify(ctx context.Context, req Request) (*Identity, error) {
	start := v.now()
	if req.Now.IsZero() {
		req.Now = start
	}
	src := remoteAddr(req.Remote)
	lim := v.limiter.get(v.Limiter)
	var id *Identity
	var method string
	var err error
	if !lim.Allow(src, start) {
		err = auth.ErrRateLimited
	} else {
		id, method, err = v.verify(ctx, req, src)
	}
	if err == nil {
		return id, nil
	}
	lim.Failure(src, v.now())
	if v.Log != nil {
		v.Log(&auth.Denial{User: req.User, Remote: addrString(req.Remote), Method: method, Err: err})
	}
	v.delay(ctx, start)
	return nil, auth.ErrDenied
}

func (v *Verifier) verify(ctx context.Context, req Request, src netip.Addr) (*Identity, string, error) {
	if !req.Profile.Valid() {
		return nil, "", auth.ErrBadProfile
	}
	if len(req.Binding) != auth.BindingLen {
		return nil, "", auth.ErrBadBinding
	}
	scheme, cred, err := auth.ParseAuthorization(req.Authorization)
	if err != nil {
		return nil, "", err
	}
	method := MethodPublicKey
	if scheme == auth.SchemeBasic {
		method = MethodPassword
	}
	u, err := v.lookup(req.User)
	if err != nil {
		return nil, method, err
	}
	if scheme == auth.SchemeBasic {
		id, err := v.verifyBasic(ctx, req, u, src, cred)
		return id, method, err
	}
	return v.verifyBearer(ctx, req, u, src, cred)
}

func (v *Verifier) lookup(name string) (*user.User, error) {
	if err := auth.ValidateUsername(name); err != nil {
		return nil, err
	}
	lookup := v.LookupUser
	if lookup == nil {
		lookup = user.Lookup
	}
	u, err := lookup(name)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return nil, auth.ErrUnknownUser
		}
		return nil, fmt.Errorf("%w: lookup: %v", auth.ErrUnknownUser, err)
	}
	// NSS back ends may match case-insensitively; only the exact name counts.
	if u.Username != name {
		return nil, fmt.Errorf("%w: lookup returned another name", auth.ErrUnknownUser)
	}
	return u, nil
}

func (v *Verifier) verifyBasic(ctx context.Context, req Request, u *user.User, src netip.Addr, cred string) (*Identity, error) {
	name, password, err := auth.ParseBasic(cred)
	if err != nil {
		return nil, err
	}
	if name != req.User {
		return nil, auth.ErrUserMismatch
	}
	if v.Passwords == nil {
		return nil, auth.ErrPasswordsDisabled
	}
	if err := v.Passwords.CheckPassword(ctx, name, password, hostString(src)); err != nil {
		return nil, err
	}
	return &Identity{User: u, Method: MethodPassword}, nil
}

func (v *Verifier) verifyBearer(ctx context.Context, req Request, u *user.User, src netip.Addr, token string) (*Identity, string, error) {
	files := v.IdentityFiles
	if files == nil {
		files = DefaultIdentityFiles
	}
	ids, bad, err := LoadIdentities(files(u)...)
	for _, b := range bad {
		if v.LogLine != nil {
			v.LogLine(b)
		}
	}
	if err != nil {
		return nil, MethodPublicKey, err
	}
	tok, err := auth.ParseJWT(token)
	if err != nil {
		return nil, MethodPublicKey, err
	}
	p := auth.JWTParams{Profile: req.Profile, User: req.User, Binding: req.Binding, Now: req.Now}
	var reasons []error
	fail := func(id AuthorizedIdentity, err error) {
		if len(reasons) < maxLoggedReasons {
			reasons = append(reasons, fmt.Errorf("%s:%d: %w", id.File, id.Line, err))
		}
	}
	for _, id := range ids {
		if id.Key == nil {
			continue
		}
		if err := id.Key.Permits(src, req.Now); err != nil {
			fail(id, err)
			continue
		}
		pub, err := auth.CryptoPublicKey(id.Key.Key)
		if err == nil {
			err = tok.VerifyWith(pub, p)
		}
		if err != nil {
			fail(id, err)
			continue
		}
		return &Identity{
			User: u, Method: MethodPublicKey, Key: id.Key.Key,
			Source: fmt.Sprintf("%s:%d", id.File, id.Line), Restrictions: id.Key.Restrictions,
		}, MethodPublicKey, nil
	}
	if v.OIDC != nil {
		for _, id := range ids {
			if id.OIDC == nil {
				continue
			}
			email, err := v.OIDC.Check(ctx, token, *id.OIDC, req.Binding, req.Now)
			if err != nil {
				fail(id, err)
				continue
			}
			return &Identity{
				User: u, Method: MethodOIDC, Email: email,
				Source: fmt.Sprintf("%s:%d", id.File, id.Line),
			}, MethodOIDC, nil
		}
	}
	if len(reasons) == 0 {
		return nil, MethodPublicKey, fmt.Errorf("%w: the user has no authorized identity", auth.ErrNoMatchingIdentity)
	}
	return nil, MethodPublicKey, fmt.Errorf("%w: %w", auth.ErrNoMatchingIdentity, errors.Join(reasons...))
}

// maxLoggedReasons caps the per-identity reasons kept for the log.
const maxLoggedReasons = 16

func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

// delay makes every failure return FailureDelay after it started.
func (v *Verifier) delay(ctx context.Context, start time.Time) {
	d := v.FailureDelay
	if d == 0 {
		d = DefaultFailureDelay
	}
	if d < 0 {
		return
	}
	d -= v.now().Sub(start)
	if d <= 0 {
		return
	}
	if v.Sleep != nil {
		v.Sleep(ctx, d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// remoteAddr extracts the IP of a net.Addr; the zero Addr when unknown.
func remoteAddr(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap()
	case nil:
		return netip.Addr{}
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	ip, _ := netip.ParseAddr(a.String())
	return ip.Unmap()
}

func addrString(a net.Addr) string {
	if a == nil {
		return "unknown"
	}
	return a.String()
}

func hostString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
