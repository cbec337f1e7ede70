package conn

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/quic-go/quic-go/http3"

	"github.com/ssh3-project/ssh3/frame"
)

func headerNames(h http.Header) []string {
	var out []string
	for k := range h {
		out = append(out, strings.ToLower(k))
	}
	sort.Strings(out)
	return out
}

// TestNotFoundMatchesStock compares our 404 with a stock quic-go http3
// server running http.NotFound (X-ROB-1).
func TestNotFoundMatchesStock(t *testing.T) {
	checkLeaks(t)
	h := startServer(t, &Server{})
	serverTLS, _ := testTLS(t)
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	stock := &http3.Server{TLSConfig: http3.ConfigureTLSConfig(serverTLS), Handler: http.HandlerFunc(http.NotFound)}
	done := make(chan struct{})
	go func() { _ = stock.Serve(pc); close(done) }()
	t.Cleanup(func() { _ = stock.Close(); <-done; _ = pc.Close() })
	stockHarness := &harness{t: t, addr: pc.LocalAddr().String(), client: h.client}

	for _, p := range frame.Profiles() {
		for _, o := range []reqOpts{
			{method: http.MethodGet, scheme: "https", path: "/other", authority: "localhost"},
			{method: http.MethodGet, scheme: "https", path: "/", authority: "localhost"},
			func() reqOpts { o := connectReq(p, "Bearer good"); o.path = "/other?user=alice"; return o }(),
			func() reqOpts {
				o := connectReq(p, "Bearer good")
				o.method = http.MethodGet
				o.protocol = ""
				return o
			}(),
		} {
			ours, ourBody, err := h.raw().do(o)
			if err != nil {
				t.Fatalf("%s %s ours: %v", o.method, o.path, err)
			}
			theirs, theirBody, err := stockHarness.raw().do(o)
			if err != nil {
				t.Fatalf("%s %s stock: %v", o.method, o.path, err)
			}
			if ours.StatusCode != 404 || ours.StatusCode != theirs.StatusCode || ourBody != theirBody ||
				ours.Header.Get("Content-Type") != theirs.Header.Get("Content-Type") ||
				!reflect.DeepEqual(headerNames(ours.Header), headerNames(theirs.Header)) {
				t.Errorf("%s %s: ours %d %q %v, stock %d %q %v", o.method, o.path,
					ours.StatusCode, ourBody, ours.Header, theirs.StatusCode, theirBody, theirs.Header)
			}
			if ourBody != "404 page not found\n" || ours.Header.Get("Server") != "" {
				t.Errorf("404 body %q server %q", ourBody, ours.Header.Get("Server"))
			}
		}
	}
}

func TestRefusals(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(name(p), func(t *testing.T) {
			checkLeaks(t)
			auth := &testAuth{passwords: true}
			h := startServer(t, &Server{Authenticator: auth})
			good := h.dial(p) // a conversation that must keep working
			ch, err := good.OpenChannel(ctxT(t), frame.ChannelSession, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := readData(t, ch); got != "hello" {
				t.Fatal(got)
			}
			cases := []struct {
				name   string
				mod    func(*reqOpts)
				status int
			}{
				{"ok", func(*reqOpts) {}, 200},
				{"wrong protocol", func(o *reqOpts) { o.protocol = "bogus" }, 501},
				{"GET on secret path", func(o *reqOpts) { o.method = http.MethodGet; o.protocol = "" }, 404},
				{"scheme http", func(o *reqOpts) { o.scheme = "http" }, 400},
				{"bad version", func(o *reqOpts) {
					o.header.Set(p.RequestVersionHeader(), "SSH 3.0 x 1.2.3 experimental_spec_version=alpha-99, x-1")
				}, 403},
				{"no authorization", func(o *reqOpts) { o.header.Del("Authorization") }, 401},
				{"unknown scheme", func(o *reqOpts) { o.header.Set("Authorization", "Foo abc") }, 401},
				{"huge header", func(o *reqOpts) { o.header.Set("Authorization", strings.Repeat("a", 64<<10)) }, 431},
			}
			for _, tc := range cases {
				o := connectReq(p, "Bearer good")
				tc.mod(&o)
				rsp, body, err := h.raw().do(o)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if rsp.StatusCode != tc.status {
					t.Errorf("%s: status %d (%q), want %d", tc.name, rsp.StatusCode, body, tc.status)
				}
				switch tc.status {
				case 401:
					want := []string{"Bearer", `Basic realm="ssh3"`}
					if got := rsp.Header.Values("WWW-Authenticate"); !reflect.DeepEqual(got, want) {
						t.Errorf("%s: WWW-Authenticate %q", tc.name, got)
					}
				case 403:
					if rsp.Header.Get(p.ResponseVersionHeader()) == "" || body == "" {
						t.Errorf("%s: 403 without version header or body: %v %q", tc.name, rsp.Header, body)
					}
				case 200:
					if _, err := p.CheckServerVersion(rsp.Header.Get(p.ResponseVersionHeader())); err != nil {
						t.Errorf("200 version header: %v", err)
					}
				}
				if p == frame.Alpha && tc.status != 404 && tc.status != 501 && tc.status != 431 {
					if _, err := frame.ParseAlphaVersion(rsp.Header.Get("Server")); err != nil {
						t.Errorf("%s: alpha server header %q: %v", tc.name, rsp.Header.Get("Server"), err)
					}
				}
			}
			// Missing :authority is a malformed request: stream error.
			o := connectReq(p, "Bearer good")
			o.authority = ""
			if _, _, err := h.raw().do(o); err == nil {
				t.Error("CONNECT without :authority answered")
			}
			// The first conversation still works.
			if _, err := ch.WriteData([]byte("still")); err != nil {
				t.Fatal(err)
			}
			if got := readData(t, ch); got != "still" {
				t.Fatal(got)
			}
		})
	}
}

func TestSuppressWWWAuthenticate(t *testing.T) {
	checkLeaks(t)
	h := startServer(t, &Server{NoWWWAuthenticate: true})
	rsp, _, err := h.raw().do(connectReq(frame.RTH300, ""))
	if err != nil {
		t.Fatal(err)
	}
	if rsp.StatusCode != 401 || rsp.Header.Get("WWW-Authenticate") != "" {
		t.Fatalf("status %d, WWW-Authenticate %q", rsp.StatusCode, rsp.Header.Get("WWW-Authenticate"))
	}
}

// TestTooEarly checks the handler's 0-RTT decision with a request whose
// handshake is not complete: a real 0-RTT CONNECT racing the handshake
// cannot be made deterministic on loopback (G13).
func TestTooEarly(t *testing.T) {
	for _, p := range frame.Profiles() {
		sc := &serverConn{srv: &Server{Software: testSoftware}}
		r := httptest.NewRequest(http.MethodConnect, "https://localhost"+DefaultPath+"?user=alice", nil)
		r.URL = &url.URL{Path: DefaultPath, RawQuery: "user=alice"}
		r.Proto = p.Protocol()
		r.TLS = &tls.ConnectionState{HandshakeComplete: false}
		w := httptest.NewRecorder()
		sc.ServeHTTP(w, r)
		if w.Code != http.StatusTooEarly {
			t.Errorf("%s: status %d, want 425", p, w.Code)
		}
	}
}

// TestDialRefused: a refused CONNECT fails Established with the status,
// and channels opened before the response fail cleanly.
func TestDialRefused(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(name(p), func(t *testing.T) {
			checkLeaks(t)
			h := startServer(t, &Server{})
			cfg := h.config(p)
			cfg.Authorization = nil
			c, err := Dial(ctxT(t), h.addr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ch, err := c.OpenChannel(ctxT(t), frame.ChannelSession, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = ch.WriteData([]byte("exec"))
			err = c.Established(ctxT(t))
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != 401 {
				t.Fatalf("Established: %v, want 401", err)
			}
			// The channel ends with the conversation's StatusError, or with
			// the server's H3_REQUEST_REJECTED reset of a channel naming a
			// refused CONNECT when that reset arrives before the 401.
			_, err = ch.ReadMessage()
			var ce *Error
			if !errors.As(err, &se) && !(errors.As(err, &ce) && ce.Remote && ce.Code == CodeRequestRejected) {
				t.Fatalf("channel read: %v, want the StatusError or a remote H3_REQUEST_REJECTED", err)
			}
		})
	}
}
