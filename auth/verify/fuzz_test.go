package verify

import (
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/internal/authtest"
)

func FuzzParseIdentityLine(f *testing.F) {
	v := authtest.Vectors(f)
	for _, id := range []string{"file-authorized-identities-pubkey", "file-authorized-identities-oidc", "file-authorized-identities-comment"} {
		f.Add(v[id].Text)
	}
	pub := v["file-authorized-identities-pubkey"].Text
	for _, opts := range []string{
		`restrict,pty,command="echo \"hi\"" `, `from="10.0.0.0/8,!10.0.0.5,*.example" `,
		`permitopen="[::1]:*",expiry-time="20300101Z" `, `environment="A=B" `, `no-pty,no-x11-forwarding `,
	} {
		f.Add(opts + pub)
	}
	f.Fuzz(func(t *testing.T, line string) {
		id, ok, err := ParseIdentityLine(line)
		if err != nil {
			if ok || id.Key != nil || id.OIDC != nil {
				t.Fatal("error with a result")
			}
			return
		}
		if ok && id.Key == nil && id.OIDC == nil {
			t.Fatal("ok without identity")
		}
		if id.OIDC != nil && len(strings.Fields(line)) != 4 {
			t.Fatal("oidc line without 4 tokens")
		}
		if id.Key != nil {
			if auth.CheckPublicKey(id.Key.Key) != nil {
				t.Fatal("unsupported key accepted")
			}
			// The restrictions never contradict the options on the line.
			lower := strings.ToLower(line)
			if strings.Contains(lower, "restrict") && !strings.Contains(lower, "pty") && !id.Key.Restrictions.NoPTY {
				t.Fatal("restrict lost")
			}
		}
	})
}

func FuzzParseIdentities(f *testing.F) {
	v := authtest.Vectors(f)
	f.Add([]byte(v["file-authorized-identities-comment"].Text + "\n" + v["file-authorized-identities-pubkey"].Text + "\n" + v["file-authorized-identities-oidc"].Text + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ids, bad := ParseIdentities(data, "f")
		if n := strings.Count(string(data), "\n") + 1; len(ids)+len(bad) > n {
			t.Fatalf("%d results for %d lines", len(ids)+len(bad), n)
		}
	})
}
