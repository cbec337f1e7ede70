//go:build cgo && linux

package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/internal/authtest"
)

// newSystemUser creates a real account with a password (root only) and
// removes it when the test ends.
func newSystemUser(t *testing.T, password string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a system account")
	}
	for _, tool := range []string{"useradd", "chpasswd", "userdel"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not available", tool)
		}
	}
	b := make([]byte, 4)
	rand.Read(b)
	name := "ssh3t" + hex.EncodeToString(b)
	if out, err := exec.Command("useradd", "-M", "-s", "/bin/sh", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", "-f", name).Run() })
	cmd := exec.Command("chpasswd")
	cmd.Stdin = strings.NewReader(name + ":" + password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v %s", err, out)
	}
	return name
}

func TestPAMRealAccount(t *testing.T) {
	const pw = "Tr0ub4dor&3 with spaces"
	name := newSystemUser(t, pw)
	p := &PAM{}
	ctx := context.Background()
	if err := p.CheckPassword(ctx, name, pw, "192.0.2.1"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	for _, tc := range []struct{ user, pw string }{
		{name, "wrong"}, {name, ""}, {name, pw + "x"}, {"ssh3-no-such-user", pw},
	} {
		if err := p.CheckPassword(ctx, tc.user, tc.pw, ""); !errors.Is(err, auth.ErrBadPassword) {
			t.Errorf("%q/%q: %v", tc.user, tc.pw, err)
		}
	}
	// Account policy (pam_acct_mgmt): an expired account is refused even
	// with the right password.
	if out, err := exec.Command("chage", "-E", "1", name).CombinedOutput(); err != nil {
		t.Fatalf("chage: %v %s", err, out)
	}
	err := p.CheckPassword(ctx, name, pw, "")
	if !errors.Is(err, auth.ErrBadPassword) || !strings.Contains(err.Error(), "pam_acct_mgmt") {
		t.Errorf("expired account: %v", err)
	}
}

// TestPAMThroughVerify: the whole Basic path against the real account,
// and identical answers for unknown user and wrong password.
func TestPAMThroughVerify(t *testing.T) {
	const pw = "correct horse battery staple"
	name := newSystemUser(t, pw)
	var slept []time.Duration
	var denials []*auth.Denial
	v := &Verifier{
		Passwords: &PAM{},
		Sleep:     func(_ context.Context, d time.Duration) { slept = append(slept, d) },
		Now:       func() time.Time { return authtest.Now },
		Log:       func(d *auth.Denial) { denials = append(denials, d) },
	}
	basic := func(u, p string) Request {
		h, _ := auth.BasicAuthorization(u, p)
		return request(auth.ProfileAlpha, h, u)
	}
	id, err := v.Verify(context.Background(), basic(name, pw))
	if err != nil {
		t.Fatalf("%v %v", err, denials)
	}
	if id.User.Username != name || id.Method != MethodPassword {
		t.Errorf("%+v", id)
	}
	_, err1 := v.Verify(context.Background(), basic(name, "nope"))
	_, err2 := v.Verify(context.Background(), basic("ssh3nosuchuser", "nope"))
	if err1 != auth.ErrDenied || err2 != auth.ErrDenied || len(slept) != 2 || slept[0] != slept[1] {
		t.Errorf("%v %v %v", err1, err2, slept)
	}
	if !errors.Is(denials[0], auth.ErrBadPassword) || !errors.Is(denials[1], auth.ErrUnknownUser) {
		t.Errorf("%v", denials)
	}
	for _, d := range denials {
		if strings.Contains(d.Error(), "nope") {
			t.Errorf("password in log: %v", d)
		}
	}
}
