package conformance

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The password scenarios of client-under-test mode (-client-password-cmd:
// R-3.1.1-1, H-7617-1), run against a loginFake that checks Basic
// credentials.

// sentBasic is one Basic authorization the suite received.
type sentBasic struct {
	raw    string // the decoded user-id:password
	path   string // the CONNECT's :path
	status int    // the suite's answer
}

// basics lists the Basic authorizations f received.
func (f *loginFake) basics() []sentBasic {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []sentBasic
	for i, a := range f.authz {
		scheme, cred, _ := strings.Cut(a, " ")
		if !strings.EqualFold(scheme, "basic") {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			raw = []byte("(bad base64: " + cred + ")")
		}
		out = append(out, sentBasic{raw: string(raw), path: f.paths[i], status: f.statuses[i]})
	}
	return out
}

// schemes lists the authorization schemes f received ("none" for a CONNECT
// without one).
func (f *loginFake) schemes() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, a := range f.authz {
		scheme, _, _ := strings.Cut(a, " ")
		if scheme == "" {
			scheme = "none"
		}
		out = append(out, scheme)
	}
	if len(out) == 0 {
		return "no CONNECT"
	}
	return strings.Join(out, ",")
}

// passwordRun runs the -client-password-cmd template tmpl as user against
// a loginFake that accepts a throwaway password, which the client gets
// from an askpass script (SSH_ASKPASS, SSH_ASKPASS_REQUIRE=force,
// DISPLAY=:0, as ssh(1) reads a password without a terminal). The fake is
// closed when it returns; what it received stays readable.
func (t *T) passwordRun(tmpl, user string) (*clientRun, *loginFake, string) {
	password := rand.Text()
	cert, err := t.s.clientCert()
	if err != nil {
		return &clientRun{startErr: err}, nil, password
	}
	f, err := startLoginFake(cert, t.p, password)
	if err != nil {
		return &clientRun{startErr: err}, nil, password
	}
	defer f.Close()
	home, err := os.MkdirTemp("", "ssh3-conformance-home-")
	if err != nil {
		return &clientRun{startErr: err}, f, password
	}
	defer os.RemoveAll(home)
	askpass := filepath.Join(home, "askpass")
	script := "#!/bin/sh\nprintf '%s\\n' '" + password + "'\n"
	if err := os.WriteFile(askpass, []byte(script), 0o700); err != nil {
		return &clientRun{startErr: err}, f, password
	}
	args, err := t.s.fill("-client-password-cmd", tmpl, t.p, f.Addr, false, user)
	if err != nil {
		return &clientRun{startErr: err}, f, password
	}
	// A third of the check's time: H-7617-1 makes two runs.
	if t.s.cfg.ClientPasswordTTY {
		return runPTY(t.ctx, args, home, nil, password, t.s.cfg.Timeout/3), f, password
	}
	env := []string{"SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0"}
	return runProcess(t.ctx, args, home, env, nil, t.s.cfg.Timeout/3), f, password
}

// checkClientBasic: with Basic, the user-id the client sends equals the
// percent-decoded ?user= of its request (R-3.1.1-1).
func checkClientBasic(t *T, tmpl string) {
	const expected = "a password login (askpass) sends Basic credentials whose user-id equals the percent-decoded ?user= of the :path"
	r, f, password := t.passwordRun(tmpl, t.s.clientUser())
	if r.startErr != nil {
		t.fail(expected, "the client did not run: "+r.startErr.Error())
		return
	}
	sent := f.basics()
	if len(sent) == 0 {
		t.fail(expected, fmt.Sprintf("no Basic authorization (received: %s); client %s", f.schemes(), r.ended()))
		return
	}
	var obs, bad []string
	for _, b := range sent {
		u, pw, _ := strings.Cut(b.raw, ":")
		q := queryUser(b.path)
		o := fmt.Sprintf("Basic user-id %q, ?user= %q (:path %q), password %s, answered %d",
			u, q, b.path, map[bool]string{true: "the askpass one", false: "not the askpass one"}[pw == password], b.status)
		obs = append(obs, o)
		if u != q {
			bad = append(bad, o)
		}
	}
	obs = append(obs, "client "+r.ended())
	t.verdict(expected, obs, bad)
}

// badBasicUsers are user names that cannot be a Basic user-id (RFC 7617
// §2): one with ':' and one with a control character.
var badBasicUsers = []string{"bad:user", "bad\x01user"}

// checkClientBadBasicUser: asked to log in with a password as a user name
// that cannot be a Basic user-id, the client refuses locally (exits
// non-zero) and never sends such credentials (H-7617-1).
func checkClientBadBasicUser(t *T, tmpl string) {
	var obs, bad []string
	for _, user := range badBasicUsers {
		r, f, _ := t.passwordRun(tmpl, user)
		if r.startErr != nil {
			t.fail("the client runs", r.startErr.Error())
			return
		}
		var leaked []string
		for _, b := range f.basics() {
			if strings.HasPrefix(b.raw, user+":") {
				leaked = append(leaked, fmt.Sprintf("%q", b.raw[:len(user)]))
			}
		}
		o := fmt.Sprintf("user %q: received %s; client %s", user, f.schemes(), r.ended())
		obs = append(obs, o)
		switch {
		case len(leaked) > 0:
			bad = append(bad, fmt.Sprintf("user %q: Basic user-id %s sent", user, strings.Join(leaked, ",")))
		case r.exit <= 0 || r.panicked():
			bad = append(bad, o+" (no clean refusal: want a non-zero exit with an error)")
		}
	}
	t.verdict("a user name with ':' or a control character: no Basic credentials with it are sent; the client exits non-zero with an error", obs, bad)
}
