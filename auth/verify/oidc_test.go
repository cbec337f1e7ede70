package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/internal/authtest"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// testIdP is a minimal OpenID provider on loopback: discovery, JWKS, an
// authorization endpoint that approves at once, and a token endpoint that
// checks the PKCE verifier.
type testIdP struct {
	t      *testing.T
	srv    *httptest.Server
	key    *ecdsa.PrivateKey
	email  string
	verify bool // email_verified

	mu    sync.Mutex // guards codes
	codes map[string]url4code
}

type url4code struct {
	clientID, redirect, nonce, challenge string
}

func newTestIdP(t *testing.T) *testIdP {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	idp := &testIdP{t: t, key: key, email: "alice@example.org", verify: true, codes: map[string]url4code{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", idp.discovery)
	mux.HandleFunc("/jwks", idp.jwks)
	mux.HandleFunc("/authorize", idp.authorize)
	mux.HandleFunc("/token", idp.token)
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	return idp
}

func (i *testIdP) issuer() string { return i.srv.URL }

func (i *testIdP) discovery(w http.ResponseWriter, _ *http.Request) {
	json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                i.issuer(),
		"authorization_endpoint":                i.issuer() + "/authorize",
		"token_endpoint":                        i.issuer() + "/token",
		"jwks_uri":                              i.issuer() + "/jwks",
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"response_types_supported":              []string{"code"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (i *testIdP) jwks(w http.ResponseWriter, _ *http.Request) {
	json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &i.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
}

func (i *testIdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	i.mu.Lock()
	i.codes[code] = url4code{q.Get("client_id"), q.Get("redirect_uri"), q.Get("nonce"), q.Get("code_challenge")}
	i.mu.Unlock()
	http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+q.Get("state"), http.StatusFound)
}

func (i *testIdP) token(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	i.mu.Lock()
	c, ok := i.codes[r.PostForm.Get("code")]
	delete(i.codes, r.PostForm.Get("code"))
	i.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || r.PostForm.Get("redirect_uri") != c.redirect || base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
		return
	}
	if id, secret, ok := r.BasicAuth(); !ok || id != c.clientID || secret != "s3cret" {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"access_token": "at", "token_type": "Bearer", "id_token": i.idToken(c.clientID, c.nonce)})
}

func (i *testIdP) idToken(aud, nonce string) string {
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: i.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	tok, err := jwt.Signed(s).Claims(map[string]any{
		"iss": i.issuer(), "aud": aud, "sub": "user-1", "email": i.email, "email_verified": i.verify,
		"nonce": nonce, "iat": authtest.Now.Unix(), "exp": authtest.Now.Add(5 * time.Minute).Unix(),
	}).Serialize()
	if err != nil {
		i.t.Fatal(err)
	}
	return tok
}

// browser follows the authorization URL and its redirect to the loopback
// listener, as a user's browser would.
func browser(_ context.Context, authURL string) error {
	resp, err := http.Get(authURL)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

func TestOIDCEndToEnd(t *testing.T) {
	idp := newTestIdP(t)
	cred := &auth.OIDCCredential{Issuer: idp.issuer(), ClientID: "ssh3-client", ClientSecret: "s3cret", OpenBrowser: browser}
	cc := auth.ClientContext{User: "alice", Profile: auth.ProfileAlpha, Binding: authtest.Binding, Now: func() time.Time { return authtest.Now }}
	header, err := cred.Authorization(context.Background(), cc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(header, "Bearer ") {
		t.Fatal(header)
	}
	f := newFakeSystem(t, "alice")
	v := f.verifier()
	v.OIDC = &OIDCVerifier{}
	line := func(client, email string) string { return "oidc " + client + " " + idp.issuer() + " " + email + "\n" }

	f.write("alice", ".ssh3/authorized_identities", "# oidc\n"+line("other-client", "alice@example.org")+line("ssh3-client", "alice@example.org"))
	id, err := v.Verify(context.Background(), request(auth.ProfileAlpha, header, "alice"))
	if err != nil {
		t.Fatalf("%v: %v", err, f.lastDenial())
	}
	if id.Method != MethodOIDC || id.Email != "alice@example.org" || !strings.HasSuffix(id.Source, ":3") {
		t.Errorf("%+v", id)
	}

	// The same token on another connection (the nonce binds it).
	r := request(auth.ProfileAlpha, header, "alice")
	r.Binding = authtest.OtherBinding
	if _, err := v.Verify(context.Background(), r); err != auth.ErrDenied || !errors.Is(f.lastDenial(), auth.ErrBadToken) {
		t.Errorf("replay on another connection: %v %v", err, f.lastDenial())
	}
	// Another e-mail address, another client ID, no oidc line, OIDC off.
	for name, content := range map[string]string{
		"email":     line("ssh3-client", "bob@example.org"),
		"client id": line("other-client", "alice@example.org"),
		"no line":   "",
	} {
		f.write("alice", ".ssh3/authorized_identities", content)
		if _, err := v.Verify(context.Background(), request(auth.ProfileAlpha, header, "alice")); err != auth.ErrDenied {
			t.Errorf("%s: accepted", name)
		}
	}
	f.write("alice", ".ssh3/authorized_identities", line("ssh3-client", "alice@example.org"))
	v.OIDC = nil
	if _, err := v.Verify(context.Background(), request(auth.ProfileAlpha, header, "alice")); err != auth.ErrDenied {
		t.Error("OIDC off: accepted")
	}
}

func TestOIDCEmailNotVerified(t *testing.T) {
	idp := newTestIdP(t)
	idp.verify = false
	tok := idp.idToken("c", base64.StdEncoding.EncodeToString(authtest.Binding))
	o := &OIDCVerifier{}
	_, err := o.Check(context.Background(), tok, OIDCIdentity{"c", idp.issuer(), "alice@example.org"}, authtest.Binding, authtest.Now)
	if !errors.Is(err, auth.ErrBadToken) || !strings.Contains(err.Error(), "verified") {
		t.Error(err)
	}
	idp.verify = true
	tok = idp.idToken("c", base64.StdEncoding.EncodeToString(authtest.Binding))
	if _, err := o.Check(context.Background(), tok, OIDCIdentity{"c", idp.issuer(), "alice@example.org"}, authtest.Binding, authtest.Now); err != nil {
		t.Error(err)
	}
	if _, err := o.Check(context.Background(), tok, OIDCIdentity{"c", idp.issuer(), "alice@example.org"}, authtest.Binding, authtest.Now.Add(time.Hour)); err == nil {
		t.Error("expired token accepted")
	}
}

func TestOIDCClientRefusesWrongState(t *testing.T) {
	idp := newTestIdP(t)
	cred := &auth.OIDCCredential{Issuer: idp.issuer(), ClientID: "ssh3-client", ClientSecret: "wrong", OpenBrowser: browser}
	cc := auth.ClientContext{User: "alice", Profile: auth.ProfileAlpha, Binding: authtest.Binding, Now: func() time.Time { return authtest.Now }}
	if _, err := cred.Authorization(context.Background(), cc); err == nil {
		t.Error("wrong client secret accepted")
	}
	// A browser that lands on the callback with a forged state: the client
	// keeps waiting, and gives up with the context.
	ctx, cancel := context.WithCancel(context.Background())
	cred = &auth.OIDCCredential{Issuer: idp.issuer(), ClientID: "ssh3-client", OpenBrowser: func(_ context.Context, u string) error {
		redirect := strings.Split(strings.Split(u, "redirect_uri=")[1], "&")[0]
		redirect = strings.ReplaceAll(strings.ReplaceAll(redirect, "%3A", ":"), "%2F", "/")
		resp, err := http.Get(redirect + "?code=x&state=forged")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("forged state: %s", resp.Status)
			}
		}
		cancel()
		return nil
	}}
	if _, err := cred.Authorization(ctx, cc); !errors.Is(err, context.Canceled) {
		t.Errorf("%v", err)
	}
}
