package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/ssh3-project/ssh3/auth/internal/authtest"
)

func TestSignJWTMatchesReferenceShape(t *testing.T) {
	v := authtest.Vectors(t)["jwt-claims-pubkey-ed25519"]
	tok, err := SignJWT(authtest.Keys(t)["ed25519"].Signer, params(ProfileAlpha, "ssh3test"))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	if want := v.Fields["header_segment_b64url"].(string); parts[0] != want {
		t.Errorf("header segment %q, want %q", parts[0], want)
	}
	if want := int(v.Fields["signature_b64url_len"].(float64)); len(parts[2]) != want {
		t.Errorf("signature segment of %d chars, want %d", len(parts[2]), want)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	// Key order on the wire as the reference writes it.
	var order []string
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		order = append(order, k.(string))
		var skip any
		dec.Decode(&skip)
	}
	var wantOrder []string
	for _, k := range v.Fields["claims_key_order_on_wire"].([]any) {
		wantOrder = append(wantOrder, k.(string))
	}
	if strings.Join(order, ",") != strings.Join(wantOrder, ",") {
		t.Errorf("claim order %v, want %v", order, wantOrder)
	}
	var c map[string]any
	json.Unmarshal(payload, &c)
	want := v.Fields["claims"].(map[string]any)
	for _, k := range []string{"aud", "client_id", "iss", "sub"} {
		if c[k] != want[k] {
			t.Errorf("%s = %v, want %v", k, c[k], want[k])
		}
	}
	if jti := c["jti"].(string); len(jti) != 44 || jti != base64.StdEncoding.EncodeToString(authtest.Binding) {
		t.Errorf("jti %q", jti)
	}
	if iat, exp := int64(c["iat"].(float64)), int64(c["exp"].(float64)); iat != authtest.Now.Add(-ClientBackdate).Unix() || exp != authtest.Now.Add(ClientLifetime).Unix() {
		t.Errorf("iat %d exp %d", iat, exp)
	}
}

func TestSignVerifyEveryKeyAndProfile(t *testing.T) {
	wantAlg := map[string]string{"ed25519": "EdDSA", "p256": "ES256", "p384": "ES384", "rsa": "RS256"}
	for name, k := range authtest.Keys(t) {
		for _, prof := range []Profile{ProfileAlpha, ProfileRTH3} {
			t.Run(name+"/"+string(prof), func(t *testing.T) {
				tok, err := SignJWT(k.Signer, params(prof, "alice"))
				if err != nil {
					t.Fatal(err)
				}
				hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
				if want := `{"alg":"` + wantAlg[name] + `","typ":"JWT"}`; string(hdr) != want {
					t.Errorf("header %s, want %s", hdr, want)
				}
				if err := VerifyJWT(tok, authtest.CryptoPub(k.Signer), params(prof, "alice")); err != nil {
					t.Errorf("verify: %v", err)
				}
				// The JWS also verifies with the standard library's own view of the key.
				if _, err := jose.ParseSigned(tok, verifyAlgs); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

func TestRTH3Claims(t *testing.T) {
	tok, _ := SignJWT(authtest.Keys(t)["ed25519"].Signer, params(ProfileRTH3, "bob"))
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	var c map[string]any
	json.Unmarshal(payload, &c)
	if c["sub"] != "remote-terminal-bob" || c["iss"] != nil || c["aud"] != nil || c["jti"] == nil {
		t.Errorf("rth3 claims %v", c)
	}
}

// signRaw signs arbitrary claims with any go-jose key, for attack tokens.
func signRaw(t *testing.T, alg jose.SignatureAlgorithm, key any, claims any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func alphaMap(user string, binding []byte, iat, exp time.Time) map[string]any {
	return map[string]any{
		"iss": user, "sub": "ssh3", "aud": "unused", "client_id": "ssh3-" + user,
		"iat": iat.Unix(), "exp": exp.Unix(), "jti": base64.StdEncoding.EncodeToString(binding),
	}
}

func TestVerifyJWTAttacks(t *testing.T) {
	ks := authtest.Keys(t)
	ed := ks["ed25519"]
	edPriv := ed.Priv.(ed25519.PrivateKey)
	rsaPub := authtest.CryptoPub(ks["rsa"].Signer).(*rsa.PublicKey)
	good := func() map[string]any {
		return alphaMap("alice", authtest.Binding, authtest.Now, authtest.Now.Add(10*time.Second))
	}
	with := func(k string, v any) map[string]any {
		m := good()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	b64 := base64.RawURLEncoding.EncodeToString
	claimsJSON, _ := json.Marshal(good())
	pkix, _ := x509.MarshalPKIXPublicKey(rsaPub)
	valid := signRaw(t, jose.EdDSA, edPriv, good())

	tests := []struct {
		name  string
		token string
		key   any
		want  error
	}{
		{"valid", valid, ed25519.PublicKey(edPriv.Public().(ed25519.PublicKey)), nil},
		{"alg none", b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(claimsJSON) + ".", nil, ErrBadToken},
		{"HS256 keyed with the ed25519 public key", signRaw(t, jose.HS256, []byte(edPriv.Public().(ed25519.PublicKey)), good()), nil, ErrBadToken},
		{"HS256 keyed with the RSA public key", signRaw(t, jose.HS256, pkix, good()), rsaPub, ErrBadToken},
		{"expired", signRaw(t, jose.EdDSA, edPriv, alphaMap("alice", authtest.Binding, authtest.Now.Add(-2*time.Minute), authtest.Now.Add(-31*time.Second))), nil, ErrBadToken},
		{"expired within leeway is fine", signRaw(t, jose.EdDSA, edPriv, alphaMap("alice", authtest.Binding, authtest.Now.Add(-time.Minute), authtest.Now.Add(-29*time.Second))), nil, nil},
		{"iat in the future", signRaw(t, jose.EdDSA, edPriv, alphaMap("alice", authtest.Binding, authtest.Now.Add(31*time.Second), authtest.Now.Add(60*time.Second))), nil, ErrBadToken},
		{"lifetime over 300 s", signRaw(t, jose.EdDSA, edPriv, alphaMap("alice", authtest.Binding, authtest.Now, authtest.Now.Add(301*time.Second))), nil, ErrBadToken},
		{"exp before iat", signRaw(t, jose.EdDSA, edPriv, alphaMap("alice", authtest.Binding, authtest.Now, authtest.Now.Add(-time.Second))), nil, ErrBadToken},
		{"huge exp, tiny iat", signRaw(t, jose.EdDSA, edPriv, with("iat", int64(-1<<62))), nil, ErrBadToken},
		{"no exp", signRaw(t, jose.EdDSA, edPriv, with("exp", nil)), nil, ErrBadToken},
		{"no iat", signRaw(t, jose.EdDSA, edPriv, with("iat", nil)), nil, ErrBadToken},
		{"nbf in the future", signRaw(t, jose.EdDSA, edPriv, with("nbf", authtest.Now.Add(time.Minute).Unix())), nil, ErrBadToken},
		{"wrong sub", signRaw(t, jose.EdDSA, edPriv, with("sub", "remote-terminal-alice")), nil, ErrBadToken},
		{"wrong aud", signRaw(t, jose.EdDSA, edPriv, with("aud", "ssh3")), nil, ErrBadToken},
		{"aud array containing unused", signRaw(t, jose.EdDSA, edPriv, with("aud", []string{"x", "unused"})), nil, nil},
		{"wrong iss", signRaw(t, jose.EdDSA, edPriv, with("iss", "root")), nil, ErrBadToken},
		{"no client_id", signRaw(t, jose.EdDSA, edPriv, with("client_id", nil)), nil, ErrBadToken},
		{"jti of another connection", signRaw(t, jose.EdDSA, edPriv, with("jti", base64.StdEncoding.EncodeToString(authtest.OtherBinding))), nil, ErrBadToken},
		{"jti unpadded", signRaw(t, jose.EdDSA, edPriv, with("jti", base64.RawStdEncoding.EncodeToString(authtest.Binding))), nil, ErrBadToken},
		{"no jti", signRaw(t, jose.EdDSA, edPriv, with("jti", nil)), nil, ErrBadToken},
		{"typ other than JWT", func() string {
			s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: edPriv}, (&jose.SignerOptions{}).WithType("at+jwt"))
			tok, _ := jwt.Signed(s).Claims(good()).Serialize()
			return tok
		}(), nil, ErrBadToken},
		{"truncated", valid[:len(valid)-10], nil, ErrBadToken},
		{"truncated to two segments", valid[:strings.LastIndex(valid, ".")], nil, ErrBadToken},
		{"signature of another key", signRaw(t, jose.RS256, ks["rsa"].Priv, good()), nil, ErrBadToken},
		{"1 MB token", strings.Repeat("a", 1<<20), nil, ErrTokenTooLarge},
		{"JSON serialization", `{"payload":"x","signatures":[]}`, nil, ErrBadToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.key
			if key == nil {
				key = edPriv.Public()
			}
			err := VerifyJWT(tc.token, key, params(ProfileAlpha, "alice"))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyJWTWrongProfile(t *testing.T) {
	k := authtest.Keys(t)["p256"]
	for _, from := range []Profile{ProfileAlpha, ProfileRTH3} {
		to := ProfileAlpha
		if from == ProfileAlpha {
			to = ProfileRTH3
		}
		tok, _ := SignJWT(k.Signer, params(from, "alice"))
		if err := VerifyJWT(tok, authtest.CryptoPub(k.Signer), params(to, "alice")); !errors.Is(err, ErrBadToken) {
			t.Errorf("%s token accepted as %s: %v", from, to, err)
		}
		if err := VerifyJWT(tok, authtest.CryptoPub(k.Signer), params(from, "mallory")); !errors.Is(err, ErrBadToken) {
			t.Errorf("%s token for alice accepted for mallory: %v", from, err)
		}
	}
}

func TestVerifyJWTPSS(t *testing.T) {
	k := authtest.Keys(t)["rsa"]
	for _, alg := range []jose.SignatureAlgorithm{jose.PS256, jose.PS384, jose.PS512} {
		tok := signRaw(t, alg, k.Priv, alphaMap("alice", authtest.Binding, authtest.Now, authtest.Now.Add(10*time.Second)))
		if err := VerifyJWT(tok, authtest.CryptoPub(k.Signer), params(ProfileAlpha, "alice")); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
}

func TestVerifyJWTAlgorithmMustFitKey(t *testing.T) {
	// An ES384 token checked against a P-256 key, and RS256 against Ed25519.
	ks := authtest.Keys(t)
	tok := signRaw(t, jose.ES384, ks["p384"].Priv, alphaMap("alice", authtest.Binding, authtest.Now, authtest.Now.Add(10*time.Second)))
	if err := VerifyJWT(tok, authtest.CryptoPub(ks["p256"].Signer), params(ProfileAlpha, "alice")); !errors.Is(err, ErrBadToken) {
		t.Error(err)
	}
	if err := VerifyJWT(tok, &ecdsa.PublicKey{}, params(ProfileAlpha, "alice")); !errors.Is(err, ErrBadToken) {
		t.Error(err)
	}
}

func TestSignJWTRefusesBadInput(t *testing.T) {
	k := authtest.Keys(t)["ed25519"]
	if _, err := SignJWT(k.Signer, JWTParams{Profile: ProfileAlpha, User: "a", Binding: []byte("short"), Now: authtest.Now}); !errors.Is(err, ErrBadBinding) {
		t.Error(err)
	}
	if _, err := SignJWT(k.Signer, JWTParams{Profile: "ssh4", User: "a", Binding: authtest.Binding, Now: authtest.Now}); !errors.Is(err, ErrBadProfile) {
		t.Error(err)
	}
}

func params(p Profile, user string) JWTParams {
	return JWTParams{Profile: p, User: user, Binding: authtest.Binding, Now: authtest.Now}
}
