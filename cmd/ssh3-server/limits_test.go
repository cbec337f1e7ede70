package main

import (
	"io"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/conn"
)

func TestLoginGrace(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"2m", 2 * time.Minute, false},
		{"120", 120 * time.Second, false},
		{"0", -1, false},
		{"0s", -1, false},
		{"-5s", 0, true},
		{"soon", 0, true},
	} {
		got, err := loginGrace(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("loginGrace(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestLimitFlagsDefaults: the defaults are sshd's (MaxStartups 10:30:100,
// LoginGraceTime 120 s).
func TestLimitFlagsDefaults(t *testing.T) {
	c, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	st, err := conn.ParseStartups(c.maxStartups)
	if err != nil || st != conn.DefaultStartups {
		t.Errorf("-max-startups default %q = %v, %v; want %v", c.maxStartups, st, err, conn.DefaultStartups)
	}
	if d, err := loginGrace(c.loginGraceTime); err != nil || d != conn.DefaultLoginGraceTime {
		t.Errorf("-login-grace-time default %q = %v, %v; want %v", c.loginGraceTime, d, err, conn.DefaultLoginGraceTime)
	}
}
