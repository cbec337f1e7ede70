package verify

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/internal/authtest"

	"golang.org/x/crypto/ssh"
)

func TestParseIdentityLineVectors(t *testing.T) {
	v := authtest.Vectors(t)
	id, ok, err := ParseIdentityLine(v["file-authorized-identities-pubkey"].Text)
	if err != nil || !ok || id.Key == nil || id.Key.Key.Type() != "ssh-ed25519" || id.Key.Comment != "vectors-throwaway" {
		t.Errorf("pubkey line: %+v %v %v", id, ok, err)
	}
	id, ok, err = ParseIdentityLine(v["file-authorized-identities-oidc"].Text)
	want := OIDCIdentity{"ssh3-vectors-client", "https://127.0.0.1:9/realms/vectors", "alice@example.org"}
	if err != nil || !ok || id.OIDC == nil || *id.OIDC != want {
		t.Errorf("oidc line: %+v %v %v", id, ok, err)
	}
	if _, ok, err = ParseIdentityLine(v["file-authorized-identities-comment"].Text); ok || err != nil {
		t.Errorf("comment line: %v %v", ok, err)
	}
}

func TestParseAuthorizedKeyOptions(t *testing.T) {
	k := authtest.Keys(t)["ed25519"].Line
	tests := []struct {
		opts string
		want auth.Restrictions
		from string
		err  error
	}{
		{"", auth.Restrictions{}, "", nil},
		{"no-pty", auth.Restrictions{NoPTY: true}, "", nil},
		{`command="/usr/bin/backup --daily"`, auth.Restrictions{ForcedCommand: "/usr/bin/backup --daily"}, "", nil},
		{`command="echo \"hi, there\""`, auth.Restrictions{ForcedCommand: `echo "hi, there"`}, "", nil},
		{"restrict", auth.Restrictions{NoPTY: true, NoPortForwarding: true, NoAgentForwarding: true, NoX11Forwarding: true, NoUserRC: true}, "", nil},
		{"restrict,pty", auth.Restrictions{NoPortForwarding: true, NoAgentForwarding: true, NoX11Forwarding: true, NoUserRC: true}, "", nil},
		{"restrict,port-forwarding,permitopen=\"localhost:8080\",permitopen=\"[::1]:*\"", auth.Restrictions{NoPTY: true, NoAgentForwarding: true, NoX11Forwarding: true, NoUserRC: true, PermitOpen: []string{"localhost:8080", "[::1]:*"}}, "", nil},
		{"NO-PTY,No-Agent-Forwarding,no-X11-forwarding,no-port-forwarding", auth.Restrictions{NoPTY: true, NoAgentForwarding: true, NoX11Forwarding: true, NoPortForwarding: true}, "", nil},
		{`from="*.sales.example.net,!pc.sales.example.net"`, auth.Restrictions{}, "*.sales.example.net,!pc.sales.example.net", nil},
		{`from="10.0.0.0/8,192.168.1.?"`, auth.Restrictions{}, "10.0.0.0/8,192.168.1.?", nil},
		{`expiry-time="20300101"`, auth.Restrictions{}, "", nil},
		{`environment="PATH=/tmp"`, auth.Restrictions{}, "", auth.ErrRefusedOption},
		{`tunnel="0"`, auth.Restrictions{}, "", auth.ErrRefusedOption},
		{`permitlisten="localhost:8080"`, auth.Restrictions{}, "", auth.ErrRefusedOption},
		{`principals="alice"`, auth.Restrictions{}, "", auth.ErrRefusedOption},
		{"cert-authority", auth.Restrictions{}, "", auth.ErrRefusedOption},
		{"no-touch-required", auth.Restrictions{}, "", auth.ErrRefusedOption},
		{"verify-required", auth.Restrictions{}, "", auth.ErrRefusedOption},
		{"frobnicate", auth.Restrictions{}, "", auth.ErrRefusedOption},
		{"no-pty=\"1\"", auth.Restrictions{}, "", auth.ErrRefusedOption},
		{"command=/bin/sh", auth.Restrictions{}, "", auth.ErrBadLine},
		{`command="a",command="b"`, auth.Restrictions{}, "", auth.ErrBadLine},
		{`from="10.0.0.1/8"`, auth.Restrictions{}, "", auth.ErrBadLine},
		{`from=""`, auth.Restrictions{}, "", auth.ErrBadLine},
		{`permitopen="nohost"`, auth.Restrictions{}, "", auth.ErrBadLine},
		{`permitopen="host:99999"`, auth.Restrictions{}, "", auth.ErrBadLine},
		{`expiry-time="2030"`, auth.Restrictions{}, "", auth.ErrBadLine},
	}
	for _, tc := range tests {
		t.Run(tc.opts, func(t *testing.T) {
			line := k
			if tc.opts != "" {
				line = tc.opts + " " + k
			}
			got, err := ParseAuthorizedKeyLine(line)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Restrictions, tc.want) || got.From != tc.from {
				t.Errorf("got %+v from %q, want %+v from %q", got.Restrictions, got.From, tc.want, tc.from)
			}
		})
	}
}

func TestParseAuthorizedKeyTypes(t *testing.T) {
	for name, k := range authtest.Keys(t) {
		if _, err := ParseAuthorizedKeyLine(k.Line); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := map[string]error{
		rsa1024Line(t): auth.ErrUnsupportedKey,
		// DSA and a security-key type are skipped.
		"ssh-dss AAAAB3NzaC1kc3MAAACBAPY3 dsa": auth.ErrBadLine,
		"sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIEX/dQ0v4127bEo8eeG1EV0ApO2lWbSEeNvBLmxLvYrwAAAABHNzaDo= sk": auth.ErrUnsupportedKey,
		"ssh-ed25519 AAAA broken": auth.ErrBadLine,
		"ssh-rsa " + strings.Fields(authtest.Keys(t)["ed25519"].Line)[1]: auth.ErrBadLine, // declared type differs from blob
		"restrict":               auth.ErrBadLine,
		"oidc only-three tokens": auth.ErrBadLine,
		"oidc a b c d":           auth.ErrBadLine,
		"oidc client ftp://issuer.example user@x.org": auth.ErrBadLine,
		"oidc client https://issuer.example noemail":  auth.ErrBadLine,
	}
	for line, want := range bad {
		_, _, err := ParseIdentityLine(line)
		if !errors.Is(err, want) {
			t.Errorf("%.40q: err %v, want %v", line, err, want)
		}
	}
}

func rsa1024Line(t *testing.T) string {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := ssh.NewPublicKey(&k.PublicKey)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " small"
}

func TestFromMatching(t *testing.T) {
	tests := []struct {
		list string
		addr string
		want bool
	}{
		{"10.0.0.0/8", "10.1.2.3", true},
		{"10.0.0.0/8", "11.1.2.3", false},
		{"10.0.0.0/8", "::ffff:10.1.2.3", true},
		{"!10.0.0.5,10.0.0.0/8", "10.0.0.5", false},
		{"10.0.0.0/8,!10.0.0.5", "10.0.0.5", false},
		{"10.0.0.0/8,!10.0.0.5", "10.0.0.6", true},
		{"192.168.1.?", "192.168.1.7", true},
		{"192.168.1.?", "192.168.1.17", false},
		{"192.168.*", "192.168.200.1", true},
		{"*", "2001:db8::1", true},
		{"2001:db8::/32", "2001:db8:1::1", true},
		{"2001:DB8::*", "2001:db8::1", true},
		{"host.example.com", "10.0.0.1", false},
		{"!10.0.0.1", "10.0.0.2", false}, // only negative entries: nothing positive matched
		{"*", "", false},                 // unknown source never matches
	}
	for _, tc := range tests {
		pats, err := parseFrom(tc.list)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := netip.ParseAddr(tc.addr)
		if got := matchFrom(pats, a); got != tc.want {
			t.Errorf("from=%q %s: %v, want %v", tc.list, tc.addr, got, tc.want)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"", "", true}, {"*", "", true}, {"a*b", "ab", true}, {"a*b", "axxb", true},
		{"a*b", "axxbc", false}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"*.*.*", "1.2.3", true}, {"**a", "bbba", true}, {"a", "b", false},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 60), false},
	}
	for _, tc := range tests {
		if got := wildcardMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("%q ~ %q = %v", tc.p, tc.s, got)
		}
	}
}

func TestExpiryAndPermits(t *testing.T) {
	k, err := ParseAuthorizedKeyLine(`expiry-time="20300101Z",from="10.0.0.0/8" ` + authtest.Keys(t)["p256"].Line)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if !k.Expiry.Equal(exp) {
		t.Errorf("expiry %v", k.Expiry)
	}
	in := netip.MustParseAddr("10.9.9.9")
	if err := k.Permits(in, exp.Add(-time.Second)); err != nil {
		t.Error(err)
	}
	if err := k.Permits(in, exp); err == nil {
		t.Error("expired key permitted")
	}
	if err := k.Permits(netip.MustParseAddr("192.0.2.1"), exp.Add(-time.Hour)); err == nil {
		t.Error("from= not enforced")
	}
}

func TestParseIdentitiesReportsLines(t *testing.T) {
	v := authtest.Vectors(t)
	data := strings.Join([]string{
		v["file-authorized-identities-comment"].Text,
		"",
		v["file-authorized-identities-pubkey"].Text,
		"environment=\"X=1\" " + v["file-authorized-identities-pubkey"].Text,
		v["file-authorized-identities-oidc"].Text + "\r",
		"   # indented comment",
	}, "\n")
	ids, bad := ParseIdentities([]byte(data), "f")
	if len(ids) != 2 || ids[0].Line != 3 || ids[1].Line != 5 || ids[1].OIDC == nil {
		t.Errorf("ids %+v", ids)
	}
	if len(bad) != 1 || bad[0].Line != 4 || !errors.Is(bad[0], auth.ErrRefusedOption) {
		t.Errorf("bad %v", bad)
	}
}
