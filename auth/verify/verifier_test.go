package verify

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/internal/authtest"
)

// fakeSystem is a hand-written stand-in for the account database, the
// password checker, the clock and the sleeper.
type fakeSystem struct {
	t         *testing.T
	users     map[string]*user.User
	passwords map[string]string

	mu      sync.Mutex // guards the fields below
	slept   []time.Duration
	denials []*auth.Denial
}

func newFakeSystem(t *testing.T, names ...string) *fakeSystem {
	f := &fakeSystem{t: t, users: map[string]*user.User{}, passwords: map[string]string{}}
	for _, n := range names {
		home := t.TempDir()
		os.MkdirAll(filepath.Join(home, ".ssh3"), 0o700)
		os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
		f.users[n] = &user.User{Username: n, Uid: "1000", Gid: "1000", HomeDir: home}
	}
	return f
}

func (f *fakeSystem) lookup(name string) (*user.User, error) {
	if u, ok := f.users[name]; ok {
		return u, nil
	}
	return nil, user.UnknownUserError(name)
}

func (f *fakeSystem) CheckPassword(_ context.Context, u, pw, _ string) error {
	if want, ok := f.passwords[u]; ok && want == pw {
		return nil
	}
	return auth.ErrBadPassword
}

func (f *fakeSystem) write(user, rel, content string) {
	if err := os.WriteFile(filepath.Join(f.users[user].HomeDir, rel), []byte(content), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeSystem) verifier() *Verifier {
	return &Verifier{
		LookupUser: f.lookup,
		Passwords:  f,
		Now:        func() time.Time { return authtest.Now },
		Sleep: func(_ context.Context, d time.Duration) {
			f.mu.Lock()
			f.slept = append(f.slept, d)
			f.mu.Unlock()
		},
		Log: func(d *auth.Denial) {
			f.mu.Lock()
			f.denials = append(f.denials, d)
			f.mu.Unlock()
		},
		Limiter: NewRateLimiter(1000, time.Second, 100),
	}
}

func (f *fakeSystem) lastDenial() *auth.Denial {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.denials) == 0 {
		return nil
	}
	return f.denials[len(f.denials)-1]
}

var testRemote = &net.UDPAddr{IP: net.ParseIP("192.0.2.10"), Port: 50000}

func bearer(t *testing.T, k *authtest.Key, prof auth.Profile, user string, binding []byte) string {
	t.Helper()
	h, err := (&auth.KeyCredential{Signer: k.Signer}).Authorization(context.Background(),
		auth.ClientContext{User: user, Profile: prof, Binding: binding, Now: func() time.Time { return authtest.Now }})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func request(prof auth.Profile, authz, user string) Request {
	return Request{Profile: prof, Authorization: authz, User: user, Binding: authtest.Binding, Remote: testRemote}
}

func TestVerifyPublicKeyBothFiles(t *testing.T) {
	ks := authtest.Keys(t)
	f := newFakeSystem(t, "alice")
	f.write("alice", ".ssh3/authorized_identities", "# ids\n"+ks["ed25519"].Line+"\n")
	f.write("alice", ".ssh/authorized_keys", `restrict,pty,command="uptime" `+ks["rsa"].Line+"\n")
	v := f.verifier()
	for _, prof := range []auth.Profile{auth.ProfileAlpha, auth.ProfileRTH3} {
		id, err := v.Verify(context.Background(), request(prof, bearer(t, ks["ed25519"], prof, "alice", authtest.Binding), "alice"))
		if err != nil {
			t.Fatalf("%s ed25519: %v (%v)", prof, err, f.lastDenial())
		}
		if id.User.Username != "alice" || id.Method != MethodPublicKey || !strings.HasSuffix(id.Source, "authorized_identities:2") {
			t.Errorf("identity %+v", id)
		}
		id, err = v.Verify(context.Background(), request(prof, bearer(t, ks["rsa"], prof, "alice", authtest.Binding), "alice"))
		if err != nil {
			t.Fatalf("%s rsa: %v (%v)", prof, err, f.lastDenial())
		}
		want := auth.Restrictions{ForcedCommand: "uptime", NoPortForwarding: true, NoAgentForwarding: true, NoX11Forwarding: true, NoUserRC: true}
		if id.Restrictions.ForcedCommand != want.ForcedCommand || id.Restrictions.NoPTY || !id.Restrictions.NoPortForwarding || !id.Restrictions.NoAgentForwarding {
			t.Errorf("restrictions %+v", id.Restrictions)
		}
	}
	if len(f.slept) != 0 {
		t.Errorf("success slept %v", f.slept)
	}
}

// TestVerifyDenials is the attack table at the Verify level: every case gives
// exactly auth.ErrDenied after the same delay; only the log tells them apart.
func TestVerifyDenials(t *testing.T) {
	ks := authtest.Keys(t)
	f := newFakeSystem(t, "alice", "bob", "jürgen")
	f.passwords["alice"] = "correct horse"
	f.write("alice", ".ssh3/authorized_identities", ks["ed25519"].Line+"\n")
	f.write("alice", ".ssh/authorized_keys", `from="10.0.0.0/8" `+ks["p256"].Line+"\n"+`expiry-time="20000101" `+ks["p384"].Line+"\n")
	f.write("jürgen", ".ssh3/authorized_identities", ks["ed25519"].Line+"\n")
	if err := os.Mkdir(filepath.Join(f.users["bob"].HomeDir, ".ssh", "authorized_keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	f.write("bob", ".ssh3/authorized_identities", ks["ed25519"].Line+"\n")
	basic := func(u, p string) string { h, _ := auth.BasicAuthorization(u, p); return h }
	ed := func(user string) string { return bearer(t, ks["ed25519"], auth.ProfileAlpha, user, authtest.Binding) }

	tests := []struct {
		name  string
		req   Request
		cause error
	}{
		{"unknown user", request(auth.ProfileAlpha, ed("mallory"), "mallory"), auth.ErrUnknownUser},
		{"wrong key", request(auth.ProfileAlpha, bearer(t, ks["rsa"], auth.ProfileAlpha, "alice", authtest.Binding), "alice"), auth.ErrBadToken},
		{"token for another user", request(auth.ProfileAlpha, ed("jürgen"), "alice"), auth.ErrBadToken},
		{"jti of another connection", request(auth.ProfileAlpha, bearer(t, ks["ed25519"], auth.ProfileAlpha, "alice", authtest.OtherBinding), "alice"), auth.ErrBadToken},
		{"token for the other profile", request(auth.ProfileRTH3, ed("alice"), "alice"), auth.ErrBadToken},
		{"from= refuses the source", request(auth.ProfileAlpha, bearer(t, ks["p256"], auth.ProfileAlpha, "alice", authtest.Binding), "alice"), auth.ErrNoMatchingIdentity},
		{"expired key", request(auth.ProfileAlpha, bearer(t, ks["p384"], auth.ProfileAlpha, "alice", authtest.Binding), "alice"), auth.ErrNoMatchingIdentity},
		{"unreadable identity file", request(auth.ProfileAlpha, ed("bob"), "bob"), auth.ErrIdentityFile},
		{"user with /", request(auth.ProfileAlpha, ed("a/b"), "a/b"), auth.ErrBadUsername},
		{"user with ..", request(auth.ProfileAlpha, ed("..alice"), "..alice"), auth.ErrBadUsername},
		{"user with NUL", request(auth.ProfileAlpha, ed("al\x00ice"), "al\x00ice"), auth.ErrBadUsername},
		{"user with leading -", request(auth.ProfileAlpha, ed("-alice"), "-alice"), auth.ErrBadUsername},
		{"over-long user", request(auth.ProfileAlpha, ed(strings.Repeat("a", 65)), strings.Repeat("a", 65)), auth.ErrBadUsername},
		{"non-ASCII unknown user", request(auth.ProfileAlpha, ed("jörg"), "jörg"), auth.ErrUnknownUser},
		{"Basic user differs from ?user=", request(auth.ProfileAlpha, basic("alice", "correct horse"), "bob"), auth.ErrUserMismatch},
		{"Basic wrong password", request(auth.ProfileAlpha, basic("alice", "wrong"), "alice"), auth.ErrBadPassword},
		{"Basic unknown user", request(auth.ProfileAlpha, basic("mallory", "x"), "mallory"), auth.ErrUnknownUser},
		{"no header", request(auth.ProfileAlpha, "", "alice"), auth.ErrBadHeader},
		{"unknown scheme", request(auth.ProfileAlpha, "Digest abc", "alice"), auth.ErrBadHeader},
		{"truncated token", request(auth.ProfileAlpha, ed("alice")[:60], "alice"), auth.ErrBadToken},
		{"1 MB token", request(auth.ProfileAlpha, "Bearer "+strings.Repeat("A", 1<<20), "alice"), auth.ErrTokenTooLarge},
		{"bad binding", Request{Profile: auth.ProfileAlpha, Authorization: ed("alice"), User: "alice", Binding: []byte{1}}, auth.ErrBadBinding},
		{"bad profile", Request{Profile: "ssh4", Authorization: ed("alice"), User: "alice", Binding: authtest.Binding}, auth.ErrBadProfile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := f.verifier()
			f.slept = nil
			id, err := v.Verify(context.Background(), tc.req)
			if id != nil || err != auth.ErrDenied {
				t.Fatalf("got %v, %v; want exactly auth.ErrDenied", id, err)
			}
			if len(f.slept) != 1 || f.slept[0] != DefaultFailureDelay {
				t.Errorf("slept %v, want one %v", f.slept, DefaultFailureDelay)
			}
			d := f.lastDenial()
			if !errors.Is(d, tc.cause) || !errors.Is(d, auth.ErrDenied) {
				t.Errorf("logged cause %v, want %v", d, tc.cause)
			}
			if tc.req.Authorization != "" && len(tc.req.Authorization) > 20 && strings.Contains(d.Error(), tc.req.Authorization[7:20]) {
				t.Errorf("log leaks the credential: %v", d)
			}
		})
	}
	// And the valid cases in the same setup.
	v := f.verifier()
	if _, err := v.Verify(context.Background(), request(auth.ProfileAlpha, basic("alice", "correct horse"), "alice")); err != nil {
		t.Errorf("basic: %v (%v)", err, f.lastDenial())
	}
	if _, err := v.Verify(context.Background(), request(auth.ProfileAlpha, ed("jürgen"), "jürgen")); err != nil {
		t.Errorf("non-ASCII existing user: %v (%v)", err, f.lastDenial())
	}
	r := request(auth.ProfileAlpha, bearer(t, ks["p256"], auth.ProfileAlpha, "alice", authtest.Binding), "alice")
	r.Remote = &net.UDPAddr{IP: net.ParseIP("10.1.1.1"), Port: 1}
	if _, err := v.Verify(context.Background(), r); err != nil {
		t.Errorf("from= inside: %v (%v)", err, f.lastDenial())
	}
}

func TestVerifyBasicDisabled(t *testing.T) {
	f := newFakeSystem(t, "alice")
	v := f.verifier()
	v.Passwords = nil
	h, _ := auth.BasicAuthorization("alice", "pw")
	if _, err := v.Verify(context.Background(), request(auth.ProfileRTH3, h, "alice")); err != auth.ErrDenied || !errors.Is(f.lastDenial(), auth.ErrPasswordsDisabled) {
		t.Errorf("%v %v", err, f.lastDenial())
	}
}

func TestVerifyLookupMustReturnExactName(t *testing.T) {
	f := newFakeSystem(t, "alice")
	v := f.verifier()
	v.LookupUser = func(string) (*user.User, error) { return f.users["alice"], nil }
	ks := authtest.Keys(t)
	f.write("alice", ".ssh3/authorized_identities", ks["ed25519"].Line+"\n")
	if _, err := v.Verify(context.Background(), request(auth.ProfileAlpha, bearer(t, ks["ed25519"], auth.ProfileAlpha, "ALICE", authtest.Binding), "ALICE")); err != auth.ErrDenied {
		t.Error("case-folded account accepted")
	}
}

func TestVerifyRateLimit(t *testing.T) {
	ks := authtest.Keys(t)
	f := newFakeSystem(t, "alice")
	f.write("alice", ".ssh3/authorized_identities", ks["ed25519"].Line+"\n")
	v := f.verifier()
	now := authtest.Now
	v.Now = func() time.Time { return now }
	v.Limiter = NewRateLimiter(3, 10*time.Second, 10)
	bad := request(auth.ProfileAlpha, bearer(t, ks["rsa"], auth.ProfileAlpha, "alice", authtest.Binding), "alice")
	good := request(auth.ProfileAlpha, bearer(t, ks["ed25519"], auth.ProfileAlpha, "alice", authtest.Binding), "alice")
	for range 3 {
		v.Verify(context.Background(), bad)
	}
	if _, err := v.Verify(context.Background(), good); err != auth.ErrDenied || !errors.Is(f.lastDenial(), auth.ErrRateLimited) {
		t.Fatalf("not limited: %v %v", err, f.lastDenial())
	}
	other := good
	other.Remote = &net.UDPAddr{IP: net.ParseIP("198.51.100.1"), Port: 1}
	if _, err := v.Verify(context.Background(), other); err != nil {
		t.Errorf("other source limited: %v", err)
	}
	now = now.Add(30 * time.Second)
	good.Now = now
	if _, err := v.Verify(context.Background(), good); err != nil {
		t.Errorf("not refilled: %v %v", err, f.lastDenial())
	}
}

func TestRateLimiterCap(t *testing.T) {
	l := NewRateLimiter(2, time.Minute, 8)
	for i := range 100 {
		a := authtest.Netip4(byte(i))
		l.Failure(a, authtest.Now)
		if l.Len() > 8 {
			t.Fatalf("%d entries", l.Len())
		}
	}
	// IPv6 sources in one /64 share a bucket.
	a1, a2 := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	l.Failure(a1, authtest.Now)
	l.Failure(a2, authtest.Now)
	if l.Allow(a1, authtest.Now) {
		t.Error("the /64 was not shared")
	}
}

func params(p auth.Profile, user string) auth.JWTParams {
	return auth.JWTParams{Profile: p, User: user, Binding: authtest.Binding, Now: authtest.Now}
}
