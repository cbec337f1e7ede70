package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// OIDCCredential runs the OpenID Connect authorization code flow with PKCE
// (RFC 7636, S256) through a loopback redirect listener (RFC 8252 §7.3) and
// sends the raw ID token as Bearer (protocol notes §4.3). The nonce is
// base64(EXPORTER-SSH3), so the flow must run after the QUIC handshake.
type OIDCCredential struct {
	Issuer       string
	ClientID     string
	ClientSecret string   // "" for public clients
	Scopes       []string // nil means openid, email
	// OpenBrowser shows the authorization URL to the user (the cmd layer
	// opens a browser or prints it).
	OpenBrowser func(ctx context.Context, authURL string) error
	// HTTPClient talks to the issuer; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Timeout bounds the wait for the browser redirect; 0 means 5 minutes.
	Timeout time.Duration
}

var _ Credential = (*OIDCCredential)(nil)

// Authorization runs the flow and returns "Bearer <id_token>".
func (o *OIDCCredential) Authorization(ctx context.Context, c ClientContext) (string, error) {
	nonce, err := EncodeBinding(c.Binding)
	if err != nil {
		return "", err
	}
	if o.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, o.HTTPClient)
	}
	p, err := oidc.NewProvider(ctx, o.Issuer)
	if err != nil {
		return "", fmt.Errorf("auth: oidc discovery: %w", err)
	}
	ep := p.Endpoint()
	code, redirect, verifier, err := o.authorize(ctx, ep.AuthURL, nonce)
	if err != nil {
		return "", err
	}
	raw, err := o.exchange(ctx, ep.TokenURL, code, redirect, verifier)
	if err != nil {
		return "", err
	}
	// Check what we received before sending it anywhere.
	tok, err := p.Verifier(&oidc.Config{ClientID: o.ClientID, Now: c.Now}).Verify(ctx, raw)
	if err != nil {
		return "", fmt.Errorf("auth: oidc id_token: %w", err)
	}
	if !BindingMatches(tok.Nonce, c.Binding) {
		return "", errors.New("auth: oidc id_token nonce differs")
	}
	return SchemeBearer + " " + raw, nil
}

func randomURLToken() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return b
}

type callbackResult struct {
	code string
	err  error
}

// authorize listens on 127.0.0.1, sends the user to authURL and waits for
// the redirect carrying the code.
func (o *OIDCCredential) authorize(ctx context.Context, authURL, nonce string) (code, redirect, verifier string, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", "", fmt.Errorf("auth: oidc redirect listener: %w", err)
	}
	redirect = "http://" + ln.Addr().String() + "/callback"
	state, verifier := randomURLToken(), randomURLToken()
	challenge := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {o.ClientID},
		"redirect_uri":          {redirect},
		"scope":                 {strings.Join(o.scopes(), " ")},
		"state":                 {state},
		"nonce":                 {nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(challenge[:])},
		"code_challenge_method": {"S256"},
	}
	sep := "?"
	if strings.Contains(authURL, "?") {
		sep = "&"
	}
	results := make(chan callbackResult, 1)
	srv := &http.Server{Handler: callbackHandler(state, results), ReadHeaderTimeout: 10 * time.Second}
	serveDone := make(chan struct{})
	go func() {
		defer close(serveDone)
		srv.Serve(ln)
	}()
	defer func() {
		srv.Close()
		<-serveDone
	}()
	if err := o.OpenBrowser(ctx, authURL+sep+q.Encode()); err != nil {
		return "", "", "", fmt.Errorf("auth: oidc browser: %w", err)
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-results:
		return r.code, redirect, verifier, r.err
	case <-t.C:
		return "", "", "", errors.New("auth: oidc: timed out waiting for the browser")
	case <-ctx.Done():
		return "", "", "", ctx.Err()
	}
}

func (o *OIDCCredential) scopes() []string {
	if o.Scopes == nil {
		return []string{oidc.ScopeOpenID, "email"}
	}
	return o.Scopes
}

// callbackHandler accepts one redirect with the expected state.
func callbackHandler(state string, results chan<- callbackResult) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		var res callbackResult
		switch {
		case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
			http.Error(w, "state mismatch", http.StatusBadRequest)
			return // not ours: keep waiting
		case q.Get("error") != "":
			res.err = fmt.Errorf("auth: oidc authorization refused: %s", SafeQuote(q.Get("error")))
		case q.Get("code") == "":
			res.err = errors.New("auth: oidc redirect without code")
		default:
			res.code = q.Get("code")
		}
		select {
		case results <- res:
			io.WriteString(w, "SSH3 login complete; you may close this window.\n")
		default:
			http.Error(w, "already done", http.StatusConflict)
		}
	})
}

// exchange trades the code for tokens at the token endpoint (RFC 6749
// §4.1.3 with the PKCE verifier) and returns the id_token.
func (o *OIDCCredential) exchange(ctx context.Context, tokenURL, code, redirect, verifier string) (string, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirect},
		"client_id":     {o.ClientID},
		"code_verifier": {verifier},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("auth: oidc token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if o.ClientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(o.ClientID), url.QueryEscape(o.ClientSecret)) // RFC 6749 §2.3.1
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("auth: oidc token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("auth: oidc token response: %w", err)
	}
	var tr struct {
		IDToken string `json:"id_token"`
		Error   string `json:"error"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("auth: oidc token endpoint: status %d %s", resp.StatusCode, SafeQuote(tr.Error))
	}
	if tr.IDToken == "" {
		return "", errors.New("auth: oidc token response without id_token")
	}
	return tr.IDToken, nil
}
