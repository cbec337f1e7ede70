package conformance

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// OIDCIssuer is a minimal OpenID provider the suite runs on loopback for
// P-AUTH-3: discovery and a JWKS over plain HTTP, and ID tokens it signs
// itself (ES256) with whatever nonce a check asks for. A target trusts it
// through one authorized_identities line, [OIDCIssuer.IdentityLine].
type OIDCIssuer struct {
	URL      string // the issuer, http://127.0.0.1:PORT
	ClientID string
	Email    string

	key *ecdsa.PrivateKey
	srv *http.Server
}

// StartOIDCIssuer serves an issuer on addr (host:port; port 0 picks one).
func StartOIDCIssuer(addr, email string) (*OIDCIssuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("conformance: OIDC issuer: %w", err)
	}
	i := &OIDCIssuer{URL: "http://" + ln.Addr().String(), ClientID: "ssh3-conformance", Email: email, key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", i.discovery)
	mux.HandleFunc("/jwks", i.jwks)
	i.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = i.srv.Serve(ln) }() // ends with Close
	return i, nil
}

// Close stops the issuer.
func (i *OIDCIssuer) Close() { _ = i.srv.Close() }

// IdentityLine is the authorized_identities line that makes a target trust
// this issuer's tokens for the user.
func (i *OIDCIssuer) IdentityLine() string {
	return fmt.Sprintf("oidc %s %s %s", i.ClientID, i.URL, i.Email)
}

func (i *OIDCIssuer) discovery(w http.ResponseWriter, _ *http.Request) {
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                i.URL,
		"authorization_endpoint":                i.URL + "/authorize",
		"token_endpoint":                        i.URL + "/token",
		"jwks_uri":                              i.URL + "/jwks",
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
	})
}

func (i *OIDCIssuer) jwks(w http.ResponseWriter, _ *http.Request) {
	_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &i.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
}

// Token is an ID token for the issuer's e-mail with nonce.
func (i *OIDCIssuer) Token(nonce string, now time.Time) (string, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: i.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		return "", err
	}
	claims := map[string]any{
		"iss": i.URL, "aud": i.ClientID, "sub": "ssh3-conformance", "email": i.Email, "email_verified": true,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	return jwt.Signed(s).Claims(claims).Serialize()
}

// checkOIDCBinding covers P-AUTH-3: an ID token is accepted only on the
// connection whose exporter its nonce carries.
func checkOIDCBinding(t *T) {
	iss := t.s.cfg.OIDC
	if iss == nil {
		t.skip("needs an OpenID provider the target trusts: -oidc-issuer ADDR runs the suite's own (the embedded default does)")
		return
	}
	bound := func(c *H3Conn) (string, error) {
		b, err := binding(c)
		if err != nil {
			return "", err
		}
		n, err := encodeBinding(b)
		if err != nil {
			return "", err
		}
		tok, err := iss.Token(n, time.Now())
		return "Bearer " + tok, err
	}
	var minted string
	mintedElsewhere := func(c *H3Conn) (string, error) {
		if minted == "" {
			return "", errors.New("no token from the first connection")
		}
		return minted, nil
	}
	var obs, bad []string
	try := func(label string, want int, mk func(*H3Conn) (string, error), keep bool) {
		c, err := t.dial(DialConfig{})
		if err != nil {
			obs, bad = append(obs, label+": "+Describe(err)), append(bad, label)
			return
		}
		a, err := mk(c)
		if err != nil {
			obs, bad = append(obs, label+": "+Describe(err)), append(bad, label)
			return
		}
		if keep {
			minted = a
		}
		_, resp, err := t.request(c, t.connectFields(t.p, t.s.cfg.Target.User, a))
		if err != nil {
			obs, bad = append(obs, label+": "+Describe(err)), append(bad, label)
			return
		}
		obs = append(obs, fmt.Sprintf("%s → %d", label, resp.Status))
		if resp.Status/100 != want/100 {
			bad = append(bad, fmt.Sprintf("%s → %d", label, resp.Status))
		}
	}
	try("token whose nonce is this connection's exporter", 200, bound, true)
	try("the same token on another connection", 401, mintedElsewhere, false)
	try("a token without a nonce", 401, func(*H3Conn) (string, error) {
		tok, err := iss.Token("", time.Now())
		return "Bearer " + tok, err
	}, false)
	t.verdict("2xx for the bound token, 401 for it on another connection and for a token without a nonce", obs, bad)
}
