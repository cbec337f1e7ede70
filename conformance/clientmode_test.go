package conformance

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/ssh3-project/ssh3/frame"
)

// TestLoginFakeBasic: the password scenarios' server answers 200 only to
// Basic credentials with its password whose user-id is the ?user= of the
// :path, 401 with a Basic challenge otherwise, and records what it got,
// including a user-id with ':' that auth.ParseBasic could not tell apart.
func TestLoginFakeBasic(t *testing.T) {
	cert, err := selfSigned()
	if err != nil {
		t.Fatal(err)
	}
	f, err := startLoginFake(cert, frame.RTH300, "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := DialH3(ctx, f.Addr, &tls.Config{InsecureSkipVerify: true}, DialConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	basic := func(raw string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(raw)) }
	for _, tc := range []struct {
		user, authz string
		status      int
	}{
		{"alice", basic("alice:pw"), 200},
		{"alice", basic("bob:pw"), 401},
		{"alice", basic("alice:wrong"), 401},
		{"bad:user", basic("bad:user:pw"), 401},
		{"alice", "", 401},
	} {
		fields := []Field{{":method", "CONNECT"}, {":protocol", frame.RTH300.Protocol()}, {":scheme", "https"},
			{":authority", f.Addr}, {":path", "/ssh3-term?user=" + queryEscape(tc.user)}}
		if tc.authz != "" {
			fields = append(fields, Field{"authorization", tc.authz})
		}
		rs, err := c.Request(ctx, fields, false)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := rs.ReadResponse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != tc.status {
			t.Errorf("user %q, %q: status %d, want %d", tc.user, tc.authz, resp.Status, tc.status)
		}
		if ch := resp.Header.Get("www-authenticate"); tc.status == 401 && !strings.HasPrefix(ch, "Basic ") {
			t.Errorf("401 with www-authenticate %q, want a Basic challenge", ch)
		}
	}
	sent := f.basics()
	if len(sent) != 4 || sent[3].raw != "bad:user:pw" || queryUser(sent[3].path) != "bad:user" {
		t.Errorf("recorded %+v", sent)
	}
	if got := f.schemes(); got != "Basic,Basic,Basic,Basic,none" {
		t.Errorf("schemes %q", got)
	}
}

// TestClientTemplatesMissing: without -client-password-cmd and
// -client-udp-cmd their rows are skipped with a reason naming the flag.
func TestClientTemplatesMissing(t *testing.T) {
	s, err := New(Config{ClientCmd: "true", Timeout: time.Second, Run: regexp.MustCompile(`^(R-3\.1\.1-1|H-7617-1|X-ROB-30)$`)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"R-3.1.1-1": "-client-password-cmd", "H-7617-1": "-client-password-cmd", "X-ROB-30": "-client-udp-cmd"}
	for _, r := range s.RunClient(context.Background()) {
		if len(r.Checks) != 3 {
			t.Fatalf("%d checks, want 3", len(r.Checks))
		}
		for _, c := range r.Checks {
			if c.Result != Skip || !strings.Contains(c.Detail, want[c.ID]) {
				t.Errorf("%s: %s %q, want a skip naming %s", c.ID, c.Result, c.Detail, want[c.ID])
			}
		}
	}
}

// TestFillExtraPlaceholders: the UDP template's own placeholders are
// filled with the common ones.
func TestFillExtraPlaceholders(t *testing.T) {
	s := &Suite{cfg: Config{Target: Target{KeyFile: "/k"}}}
	got, err := s.fill("-client-udp-cmd", "c -i {key} -L udp:{lport}:{thost}:{tport} {user}@{hostport}{path}", frame.Alpha, "127.0.0.1:1", false, "u",
		"{lport}", "2", "{thost}", "h", "{tport}", "3")
	if err != nil {
		t.Fatal(err)
	}
	if want := "c -i /k -L udp:2:h:3 u@127.0.0.1:1/ssh3-term"; strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := s.fill("-client-udp-cmd", " ", frame.Alpha, "a", false, "u"); err == nil || !strings.Contains(err.Error(), "-client-udp-cmd") {
		t.Errorf("empty template: %v", err)
	}
}

// TestFakeServerRecordsClose: the scenario server records how each
// connection ended: the client's code when the client closed it, and a
// close that is not the peer's when the suite ended it. closedByPeer tells
// the two apart, which is what runObservingClose retries on.
func TestFakeServerRecordsClose(t *testing.T) {
	cert, err := selfSigned()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		clientCode uint64 // 0: the client leaves the connection open
		peer       bool
	}{
		{"client closes with H3_DATAGRAM_ERROR", 0x33, true},
		{"client closes with H3_NO_ERROR", 0x100, true},
		{"suite closes", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := startFake(cert, scenario{profile: frame.RTH300})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := DialH3(ctx, f.Addr, &tls.Config{InsecureSkipVerify: true}, DialConfig{})
			if err != nil {
				f.Close()
				t.Fatal(err)
			}
			// A CONNECT answered: the server's HANDSHAKE_DONE came before
			// its 200, so a close now carries its application code (RFC
			// 9000 §10.2.3).
			rs, err := c.Request(ctx, []Field{{":method", "CONNECT"}, {":protocol", frame.RTH300.Protocol()}, {":scheme", "https"},
				{":authority", f.Addr}, {":path", "/ssh3-term?user=u"}}, false)
			if err == nil {
				_, err = rs.ReadResponse(ctx)
			}
			if err != nil {
				f.Close()
				t.Fatal(err)
			}
			if tc.clientCode != 0 {
				_ = c.QUIC.CloseWithError(quic.ApplicationErrorCode(tc.clientCode), "")
				f.waitClosed(5 * time.Second)
			}
			f.Close() // waits for serve, which records the close
			c.Close()
			f.cap.mu.Lock()
			got := f.cap.closeErr
			f.cap.mu.Unlock()
			if got == nil {
				t.Fatal("no close recorded")
			}
			if closedByPeer(got) != tc.peer {
				t.Errorf("closedByPeer(%v) = %v, want %v", got, !tc.peer, tc.peer)
			}
			if code, ok := CloseCode(got); tc.peer && (!ok || code != tc.clientCode) {
				t.Errorf("CloseCode(%v) = %#x, %v; want %#x", got, code, ok, tc.clientCode)
			}
		})
	}
}
