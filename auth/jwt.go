package auth

import (
	"crypto"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/crypto/ssh"
)

// Token timing (protocol notes §4.2). The reference server has zero leeway,
// so the client backdates iat and gives exp some room.
const (
	ClientBackdate = 5 * time.Second   // client: iat = now - ClientBackdate
	ClientLifetime = 30 * time.Second  // client: exp = now + ClientLifetime
	Leeway         = 30 * time.Second  // server: clock skew tolerated on iat, nbf and exp
	MaxLifetime    = 300 * time.Second // server: largest exp - iat accepted
	MaxTokenSize   = 16 << 10          // server: largest credential parsed, in bytes
)

// Claim values of the ssh3-alpha profile.
const (
	alphaSubject  = "ssh3"
	alphaAudience = "unused"
	rth3SubPrefix = "remote-terminal-"
)

// verifyAlgs is the server's explicit allow-list; none and HS* are never in it.
var verifyAlgs = []jose.SignatureAlgorithm{
	jose.EdDSA, jose.ES256, jose.ES384, jose.RS256, jose.PS256, jose.PS384, jose.PS512,
}

// JWTParams are what a token is bound to: profile, user, connection binding
// and the time of the check (or of signing).
type JWTParams struct {
	Profile Profile
	User    string
	Binding []byte // 32 bytes, protocol notes §2.6
	Now     time.Time
}

// alphaClaims are the ssh3-alpha claims in the order the reference writes
// them (alphabetical; vector jwt-claims-pubkey-ed25519).
type alphaClaims struct {
	Audience string `json:"aud"`
	ClientID string `json:"client_id"`
	Expiry   int64  `json:"exp"`
	IssuedAt int64  `json:"iat"`
	Issuer   string `json:"iss"`
	ID       string `json:"jti"`
	Subject  string `json:"sub"`
}

// rth3Claims are the rth3-00 claims (draft §3.1.2, plus jti by our policy G14).
type rth3Claims struct {
	Expiry   int64  `json:"exp"`
	IssuedAt int64  `json:"iat"`
	ID       string `json:"jti"`
	Subject  string `json:"sub"`
}

func claimsFor(p JWTParams) (any, error) {
	jti, err := EncodeBinding(p.Binding)
	if err != nil {
		return nil, err
	}
	iat := p.Now.Add(-ClientBackdate).Unix()
	exp := p.Now.Add(ClientLifetime).Unix()
	switch p.Profile {
	case ProfileAlpha:
		return alphaClaims{alphaAudience, "ssh3-" + p.User, exp, iat, p.User, jti, alphaSubject}, nil
	case ProfileRTH3:
		return rth3Claims{exp, iat, jti, rth3SubPrefix + p.User}, nil
	}
	return nil, ErrBadProfile
}

// SignJWT builds the compact JWS for p, signed by s (a key file or an agent
// key). The JOSE header is {"alg":…,"typ":"JWT"}; the algorithm follows
// from the key: EdDSA, ES256, ES384 or RS256.
func SignJWT(s ssh.Signer, p JWTParams) (string, error) {
	js, err := newJWSSigner(s)
	if err != nil {
		return "", err
	}
	claims, err := claimsFor(p)
	if err != nil {
		return "", err
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: js.alg, Key: js}, opts)
	if err != nil {
		return "", fmt.Errorf("auth: jose signer: %w", err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return tok, nil
}

// tokenClaims is what the verifier reads from any token.
type tokenClaims struct {
	Issuer    *string          `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	ClientID  string           `json:"client_id"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	ID        *string          `json:"jti"`
}

// ParsedJWT is a token that passed the syntax checks and may be tried
// against several keys.
type ParsedJWT struct {
	tok *jwt.JSONWebToken
	alg jose.SignatureAlgorithm
}

// ParseJWT checks size and alphabet, then parses the compact JWS with the
// algorithm allow-list. The JOSE typ, when present, must be JWT.
func ParseJWT(token string) (*ParsedJWT, error) {
	if len(token) > MaxTokenSize {
		return nil, ErrTokenTooLarge
	}
	if strings.Count(token, ".") != 2 || strings.IndexFunc(token, notB64URLOrDot) >= 0 {
		return nil, fmt.Errorf("%w: not a compact JWS", ErrBadToken)
	}
	tok, err := jwt.ParseSigned(token, verifyAlgs)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	if len(tok.Headers) != 1 {
		return nil, fmt.Errorf("%w: %d signatures", ErrBadToken, len(tok.Headers))
	}
	h := tok.Headers[0]
	if typ, ok := h.ExtraHeaders[jose.HeaderType]; ok {
		if s, _ := typ.(string); !strings.EqualFold(s, "JWT") {
			return nil, fmt.Errorf("%w: typ %v", ErrBadToken, typ)
		}
	}
	return &ParsedJWT{tok: tok, alg: jose.SignatureAlgorithm(h.Algorithm)}, nil
}

func notB64URLOrDot(r rune) bool {
	return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
}

// VerifyWith checks the signature against pub (whose type must allow the
// token's algorithm) and then the claims.
func (t *ParsedJWT) VerifyWith(pub crypto.PublicKey, p JWTParams) error {
	allowed := false
	for _, a := range algsForKey(pub) {
		allowed = allowed || a == t.alg
	}
	if !allowed {
		return fmt.Errorf("%w: algorithm %s does not fit the key", ErrBadToken, t.alg)
	}
	var c tokenClaims
	if err := t.tok.Claims(pub, &c); err != nil {
		return fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	return c.check(p)
}

// VerifyJWT verifies a compact JWS against one public key (ed25519.PublicKey,
// *ecdsa.PublicKey or *rsa.PublicKey) and the claim policy of protocol notes
// §4.2 for p. Every failure wraps ErrBadToken or ErrTokenTooLarge.
func VerifyJWT(token string, pub crypto.PublicKey, p JWTParams) error {
	t, err := ParseJWT(token)
	if err != nil {
		return err
	}
	return t.VerifyWith(pub, p)
}

func (c *tokenClaims) check(p JWTParams) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadToken}, a...)...)
	}
	if c.Expiry == nil || c.IssuedAt == nil {
		return bad("exp and iat are required")
	}
	exp, iat := c.Expiry.Time(), c.IssuedAt.Time()
	switch {
	case p.Now.After(exp.Add(Leeway)):
		return bad("expired")
	case iat.After(p.Now.Add(Leeway)):
		return bad("issued in the future")
	case exp.Before(iat) || exp.Sub(iat) > MaxLifetime:
		return bad("lifetime out of range")
	case c.NotBefore != nil && c.NotBefore.Time().After(p.Now.Add(Leeway)):
		return bad("not yet valid")
	}
	switch p.Profile {
	case ProfileAlpha:
		if c.Subject != alphaSubject {
			return bad("sub is not %q", alphaSubject)
		}
		if c.Issuer == nil || *c.Issuer != p.User {
			return bad("iss is not the requested user")
		}
		if !c.Audience.Contains(alphaAudience) {
			return bad("aud lacks %q", alphaAudience)
		}
		if c.ClientID != "ssh3-"+p.User {
			return bad("client_id is not ssh3-<user>")
		}
	case ProfileRTH3:
		if c.Subject != rth3SubPrefix+p.User {
			return bad("sub is not %s<user>", rth3SubPrefix)
		}
	default:
		return ErrBadProfile
	}
	if c.ID == nil || !BindingMatches(*c.ID, p.Binding) {
		return bad("jti does not bind this connection")
	}
	return nil
}
