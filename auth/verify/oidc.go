package verify

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/ssh3-project/ssh3/auth"

	"github.com/coreos/go-oidc/v3/oidc"
)

// maxOIDCProviders caps the discovery cache.
const maxOIDCProviders = 64

// OIDCVerifier checks OpenID Connect ID tokens (protocol notes §4.3) with
// go-oidc: signature against the issuer's JWKS, iss, aud = client ID, expiry,
// then email_verified, email and the nonce.
//
// Binding: the nonce must equal base64(EXPORTER-SSH3) of this connection, so
// a captured ID token cannot be replayed on another connection. The
// reference implementation does not bind OIDC tokens at all (any captured
// token works until it expires); our client puts the binding in the nonce,
// so tokens from a reference client are refused by this verifier.
type OIDCVerifier struct {
	// HTTPClient is used for discovery and key fetches; nil means
	// http.DefaultClient.
	HTTPClient *http.Client
	// DiscoveryTimeout bounds one discovery; 0 means 10 s.
	DiscoveryTimeout time.Duration

	mu        sync.Mutex // guards providers
	providers map[string]*oidc.Provider
}

// Check verifies raw against one oidc identity line and returns the e-mail
// address it asserts. Errors wrap auth.ErrBadToken.
func (o *OIDCVerifier) Check(ctx context.Context, raw string, id OIDCIdentity, binding []byte, now time.Time) (string, error) {
	if len(raw) > auth.MaxTokenSize {
		return "", auth.ErrTokenTooLarge
	}
	p, err := o.provider(ctx, id.Issuer)
	if err != nil {
		return "", err
	}
	v := p.Verifier(&oidc.Config{ClientID: id.ClientID, Now: func() time.Time { return now }})
	tok, err := v.Verify(o.clientContext(ctx), raw)
	if err != nil {
		return "", fmt.Errorf("%w: oidc: %v", auth.ErrBadToken, err)
	}
	var c struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
	}
	if err := tok.Claims(&c); err != nil {
		return "", fmt.Errorf("%w: oidc claims: %v", auth.ErrBadToken, err)
	}
	switch {
	case !c.EmailVerified:
		return "", fmt.Errorf("%w: oidc email not verified", auth.ErrBadToken)
	case c.Email != id.Email:
		return "", fmt.Errorf("%w: oidc email differs", auth.ErrBadToken)
	case !auth.BindingMatches(tok.Nonce, binding):
		return "", fmt.Errorf("%w: oidc nonce does not bind this connection", auth.ErrBadToken)
	}
	return c.Email, nil
}

func (o *OIDCVerifier) clientContext(ctx context.Context) context.Context {
	if o.HTTPClient == nil {
		return ctx
	}
	return oidc.ClientContext(ctx, o.HTTPClient)
}

// provider returns the cached discovery result for issuer, discovering it
// on first use. Failed discoveries are not cached.
func (o *OIDCVerifier) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	o.mu.Lock()
	p := o.providers[issuer]
	o.mu.Unlock()
	if p != nil {
		return p, nil
	}
	timeout := o.DiscoveryTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	dctx, cancel := context.WithTimeout(o.clientContext(ctx), timeout)
	defer cancel()
	p, err := oidc.NewProvider(dctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: oidc discovery: %v", auth.ErrBadToken, err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.providers == nil || len(o.providers) >= maxOIDCProviders {
		o.providers = make(map[string]*oidc.Provider)
	}
	o.providers[issuer] = p
	return p, nil
}
