package conformance

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/ssh3-project/ssh3/frame"
)

// setupChecks cover conversation setup: R-3-*, the inherited HTTP/3 rows
// H-9220-* and H-9114-*, and X-ROB-1 to X-ROB-8 (spec/SPEC.md §2).
func setupChecks() []def {
	return []def{
		{ID: "R-3-3", Name: "ServerAnnouncesDatagrams", run: checkServerDatagramSetting},
		{ID: "R-3-4", Name: "ExtendedConnectStartsConversation", run: checkExtendedConnect},
		{ID: "R-3-5", Name: "SecretPathServesUser", run: checkSecretPath},
		{ID: "R-3-7", Name: "ConnectStreamStaysOpen", run: withConv(checkConnectStaysOpen)},
		{ID: "R-3-8", Name: "ConversationIDIsStreamID", run: checkConversationID},
		{ID: "H-9220-1", Name: "ServerEnablesConnectProtocol", run: checkEnableConnect},
		{ID: "H-9220-2", Name: "PseudoHeadersRequired", run: checkPseudoHeaders, Harmful: true},
		{ID: "H-9114-1", Name: "ALPNIsH3", run: checkALPN},
		{ID: "H-9114-2", Name: "ServerOpensNoBidi", run: withConv(checkServerNoBidi)},
		{ID: "X-ROB-1", Name: "OtherPathStock404", run: checkOtherPath},
		{ID: "X-ROB-2", Name: "WrongProtocolNoConversation", run: checkWrongProtocol, Harmful: true},
		{ID: "X-ROB-3", Name: "WrongSchemeRefused", run: checkWrongScheme, Harmful: true},
		{ID: "X-ROB-4", Name: "EarlyDataConnect", run: checkEarlyData, Harmful: true},
		{ID: "X-ROB-6", Name: "OversizedHeadersRefused", run: checkOversizedHeaders, Harmful: true},
		{ID: "X-ROB-7", Name: "TwoConversationsIsolated", run: withConv(checkTwoConversations), Harmful: true},
		{ID: "X-ROB-8", Name: "ForeignConversationRefused", run: withConv(checkForeignConversation), Harmful: true},
		{ID: "R-7-1", result: NA, reason: "n/a: transports other than HTTP/3 are not specified", Name: "-"},
		{ID: "R-9.1-1", result: NA, reason: "n/a: IANA registration, not observable on the wire", Name: "-"},
	}
}

func settingValue(s []Setting, id uint64) (uint64, bool) {
	for _, e := range s {
		if e.ID == id {
			return e.Value, true
		}
	}
	return 0, false
}

func checkServerDatagramSetting(t *T) {
	c, err := t.dial(DialConfig{})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	s, err := c.PeerSettings(t.ctx)
	if err != nil {
		t.fail("server SETTINGS", Describe(err))
		return
	}
	v, ok := settingValue(s, settingH3Datagram)
	tp := c.QUIC.ConnectionState().SupportsDatagrams.Remote
	obs := fmt.Sprintf("SETTINGS %v, max_datagram_frame_size offered: %v", s, tp)
	if ok && v == 1 && tp {
		t.pass("SETTINGS_H3_DATAGRAM=1 and the datagram transport parameter", obs)
		return
	}
	t.fail("SETTINGS_H3_DATAGRAM=1 and the datagram transport parameter (the server forwards UDP)", obs)
}

func checkExtendedConnect(t *T) {
	cv, err := t.connect()
	if err != nil {
		t.fail("2xx", Describe(err))
		return
	}
	var obs, bad []string
	obs = append(obs, fmt.Sprintf("Extended CONNECT → %d", cv.Resp.Status))
	if cv.Resp.Status/100 != 2 {
		bad = append(bad, "Extended CONNECT not 2xx")
	}
	// A classic CONNECT: no :protocol, no :path.
	c, err := t.dial(DialConfig{})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	a, _ := t.authz(c, t.p, t.s.cfg.Target.User)
	_, resp, err := t.request(c, []Field{{":method", "CONNECT"}, {":authority", t.s.addr}, {"authorization", a}, t.versionField(t.p)})
	switch {
	case err != nil:
		obs = append(obs, "classic CONNECT → "+Describe(err))
	case resp.Status/100 == 2:
		obs = append(obs, fmt.Sprintf("classic CONNECT → %d", resp.Status))
		bad = append(bad, "classic CONNECT got 2xx")
	default:
		obs = append(obs, fmt.Sprintf("classic CONNECT → %d", resp.Status))
	}
	t.verdict("Extended CONNECT → 2xx; classic CONNECT → no conversation", obs, bad)
}

func checkSecretPath(t *T) {
	cv, err := t.connect()
	if err != nil {
		t.fail("2xx on the secret path", Describe(err))
		return
	}
	var obs, bad []string
	obs = append(obs, fmt.Sprintf("%s?user=%s → %d", t.s.path, t.s.cfg.Target.User, cv.Resp.Status))
	if cv.Resp.Status/100 != 2 {
		bad = append(bad, "valid credentials on the secret path not 2xx")
	}
	const expected = "secret path with ?user= → 2xx; another path → non-2xx"
	resp, err := t.otherPath()
	switch {
	case err != nil && len(bad) == 0 && !refusedByPeer(err):
		// No answer is no evidence that the other path is refused.
		t.skip(fmt.Sprintf("inconclusive: %s; other path → %s", joinObs(obs), Describe(err)))
		return
	case err != nil:
		obs = append(obs, "other path → "+Describe(err))
	default:
		obs = append(obs, fmt.Sprintf("other path → %d", resp.Status))
		if resp.Status/100 == 2 {
			bad = append(bad, "other path got 2xx")
		}
	}
	t.verdict(expected, obs, bad)
}

// otherPath sends a valid CONNECT for the user to a path other than the
// target's, on a fresh connection.
func (t *T) otherPath() (*Response, error) {
	c, err := t.dial(DialConfig{})
	if err != nil {
		return nil, err
	}
	a, err := t.authz(c, t.p, t.s.cfg.Target.User)
	if err != nil {
		return nil, err
	}
	f := t.connectFields(t.p, t.s.cfg.Target.User, a)
	f[4].Value = "/conformance-other-path?user=" + queryEscape(t.s.cfg.Target.User)
	_, resp, err := t.request(c, f)
	return resp, err
}

// refusedByPeer reports whether err is the peer's refusal (a stream reset
// or a connection close it sent) rather than a silence or a local error.
func refusedByPeer(err error) bool {
	_, reset := ResetCode(err)
	return reset || closedByPeer(err)
}

func checkConnectStaysOpen(t *T, cv *Conv) {
	res := cv.Exec("sleep 0.3; echo x", nil)
	ctx, cancel := t.sub(300 * time.Millisecond)
	defer cancel()
	_, err := waitEnd(ctx, cv.Req.Stream, 1)
	obs := fmt.Sprintf("%d; channel: %s; CONNECT stream after the channel: %s", cv.Resp.Status, res.Summary(), Describe(err))
	t.expect(cv.Resp.Status/100 == 2 && res.ok() && IsTimeout(err), "2xx, and the CONNECT stream stays open (no FIN) while and after a channel runs", obs)
}

// checkConversationID puts the CONNECT on stream 4 (stream 0 carries a GET)
// so that the full stream ID and the ID ÷ 4 differ.
func checkConversationID(t *T) {
	c, err := t.dial(DialConfig{AllowServerBidi: t.p == frame.Alpha})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	_, _, _ = t.request(c, []Field{{":method", "GET"}, {":scheme", "https"}, {":authority", t.s.addr}, {":path", "/conformance-probe"}})
	cv, err := t.connectOn(c, t.p)
	if err != nil || cv.Resp.Status/100 != 2 {
		t.fail("2xx on stream 4", fmt.Sprint(Describe(err)))
		return
	}
	var obs, bad []string
	res := cv.Exec("echo id", nil)
	obs = append(obs, fmt.Sprintf("channel naming %d: %s", cv.ID(), res.Summary()))
	if !res.ok() {
		bad = append(bad, "channel naming the full stream ID did not run")
	}
	st, err := cv.OpenRaw(header(t.p, cv.ID()/4, frame.ChannelSession, nil, frame.DefaultMaxMessageSize), false)
	if err == nil {
		ctx, cancel := t.sub(7 * time.Second)
		got, err := waitEnd(ctx, st, 256)
		cancel()
		desc, refused := refusal(t.p, got, err)
		obs = append(obs, fmt.Sprintf("channel naming %d (ID÷4): %s", cv.ID()/4, desc))
		if !refused {
			bad = append(bad, "channel naming ID÷4 not refused")
		}
	}
	t.verdict("a channel naming the CONNECT stream ID runs; one naming ID÷4 is refused", obs, bad)
}

func checkEnableConnect(t *T) {
	c, err := t.dial(DialConfig{})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	s, err := c.PeerSettings(t.ctx)
	if err != nil {
		t.fail("SETTINGS", Describe(err))
		return
	}
	v, ok := settingValue(s, settingConnectProtocol)
	obs := fmt.Sprintf("SETTINGS %v", s)
	t.expect(ok && v == 1, "SETTINGS_ENABLE_CONNECT_PROTOCOL (0x08) = 1", obs)
}

// malformedAnswer classifies the answer to a malformed request: a 4xx or
// a stream error is a refusal.
func malformedAnswer(resp *Response, err error) (string, bool) {
	if err != nil {
		if _, ok := ResetCode(err); ok {
			return Describe(err), true
		}
		if _, ok := CloseCode(err); ok {
			return Describe(err), true
		}
		return Describe(err), false
	}
	return fmt.Sprintf("%d", resp.Status), resp.Status/100 == 4
}

func checkPseudoHeaders(t *T) {
	var obs, bad []string
	for _, drop := range []string{":path", ":authority", ":scheme"} {
		c, err := t.dial(DialConfig{})
		if err != nil {
			t.fail("handshake", Describe(err))
			return
		}
		a, _ := t.authz(c, t.p, t.s.cfg.Target.User)
		var f []Field
		for _, x := range t.connectFields(t.p, t.s.cfg.Target.User, a) {
			if x.Name != drop {
				f = append(f, x)
			}
		}
		_, resp, err := t.request(c, f)
		desc, ok := malformedAnswer(resp, err)
		obs = append(obs, "without "+drop+" → "+desc)
		if !ok {
			bad = append(bad, "without "+drop+" → "+desc)
		}
	}
	t.verdict("each CONNECT missing a pseudo-header → H3_MESSAGE_ERROR (0x10e) or 4xx, no conversation", obs, bad)
}

func checkALPN(t *T) {
	var obs, bad []string
	c, err := t.dial(DialConfig{})
	if err != nil {
		bad = append(bad, "h3 handshake failed: "+Describe(err))
	} else {
		obs = append(obs, "ALPN h3 → "+c.QUIC.ConnectionState().TLS.NegotiatedProtocol)
	}
	ctx, cancel := t.sub(5 * time.Second)
	defer cancel()
	c2, err := DialH3(ctx, t.s.addr, t.s.tls, DialConfig{ALPN: []string{"ssh3-not-h3"}})
	if err == nil {
		c2.Close()
		bad = append(bad, "ALPN ssh3-not-h3 accepted")
	} else {
		obs = append(obs, "ALPN ssh3-not-h3 → "+Describe(err))
	}
	t.verdict("ALPN h3 succeeds; another ALPN fails (no_application_protocol)", obs, bad)
}

func checkServerNoBidi(t *T, cv *Conv) {
	res := cv.Exec("echo x", nil)
	time.Sleep(100 * time.Millisecond)
	obs := fmt.Sprintf("session: %s; server-opened bidi streams: %d", res.Summary(), cv.C.ServerBidi())
	t.expect(cv.C.ServerBidi() == 0 && res.ok(), "no server-initiated bidi stream", obs)
}

// stock404 is what a plain quic-go HTTP/3 server with http.ServeMux sends
// for an unknown path (spec/SPEC.md §2.5 step 1).
const stock404Body = "404 page not found\n"

func check404(resp *Response) []string {
	var bad []string
	if resp.Status != 404 {
		bad = append(bad, fmt.Sprintf("status %d", resp.Status))
	}
	if string(resp.Body) != stock404Body {
		bad = append(bad, fmt.Sprintf("body %q", trunc(string(resp.Body), 40)))
	}
	if ct := resp.Header.Get("content-type"); ct != "text/plain; charset=utf-8" {
		bad = append(bad, "content-type "+ct)
	}
	if resp.Header.Get("server") != "" {
		bad = append(bad, "a server header: "+resp.Header.Get("server"))
	}
	return bad
}

func checkOtherPath(t *T) {
	var obs, bad []string
	c, err := t.dial(DialConfig{})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	_, resp, err := t.request(c, []Field{{":method", "GET"}, {":scheme", "https"}, {":authority", t.s.addr}, {":path", "/conformance-nope"}})
	if err != nil {
		bad = append(bad, "GET: "+Describe(err))
	} else {
		obs = append(obs, fmt.Sprintf("GET → %d %q headers %s", resp.Status, trunc(string(resp.Body), 30), resp.HeaderNames()))
		for _, b := range check404(resp) {
			bad = append(bad, "GET: "+b)
		}
	}
	a, _ := t.authz(c, t.p, t.s.cfg.Target.User)
	f := t.connectFields(t.p, t.s.cfg.Target.User, a)
	f[4].Value = "/conformance-nope?user=" + queryEscape(t.s.cfg.Target.User)
	_, resp, err = t.request(c, f)
	if err != nil {
		bad = append(bad, "CONNECT: "+Describe(err))
	} else {
		obs = append(obs, fmt.Sprintf("CONNECT → %d headers %s", resp.Status, resp.HeaderNames()))
		for _, b := range check404(resp) {
			bad = append(bad, "CONNECT: "+b)
		}
	}
	t.verdict(`stock 404: body "404 page not found\n", text/plain, no server header`, obs, bad)
}

func checkWrongProtocol(t *T) {
	var obs, bad []string
	for _, withAuth := range []bool{false, true} {
		c, err := t.dial(DialConfig{})
		if err != nil {
			t.fail("handshake", Describe(err))
			return
		}
		a := ""
		if withAuth {
			a, _ = t.authz(c, t.p, t.s.cfg.Target.User)
		}
		f := t.connectFields(t.p, t.s.cfg.Target.User, a)
		f[1].Value = "bogus"
		rs, resp, err := t.request(c, f)
		label := map[bool]string{false: "without credentials", true: "with credentials"}[withAuth]
		if err != nil {
			obs = append(obs, ":protocol bogus "+label+" → "+Describe(err))
			continue
		}
		obs = append(obs, fmt.Sprintf(":protocol bogus %s → %d", label, resp.Status))
		if resp.Status/100 == 2 {
			bad = append(bad, ":protocol bogus "+label+" got 2xx")
		}
		if withAuth {
			st, err := openRaw(t, c, header(t.p, rs.ID(), frame.ChannelSession, nil, frame.DefaultMaxMessageSize), false)
			if err == nil {
				ctx, cancel := t.sub(7 * time.Second)
				got, err := waitEnd(ctx, st, 256)
				cancel()
				desc, refused := refusal(t.p, got, err)
				obs = append(obs, "channel naming it → "+desc)
				if !refused {
					bad = append(bad, "channel naming the refused CONNECT not refused: "+desc)
				}
			}
		}
	}
	t.verdict("non-2xx (501 recommended, G9) with and without credentials; a channel naming that stream is refused", obs, bad)
}

func checkWrongScheme(t *T) {
	c, err := t.dial(DialConfig{})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	a, _ := t.authz(c, t.p, t.s.cfg.Target.User)
	f := t.connectFields(t.p, t.s.cfg.Target.User, a)
	f[2].Value = "http"
	_, resp, err := t.request(c, f)
	desc, ok := malformedAnswer(resp, err)
	t.expect(ok, "H3_MESSAGE_ERROR (0x10e) or 4xx (400 here)", ":scheme http → "+desc)
}

func checkOversizedHeaders(t *T) {
	var obs, bad []string
	c, err := t.dial(DialConfig{})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	f := t.connectFields(t.p, t.s.cfg.Target.User, "Bearer "+strings.Repeat("A", 64<<10))
	_, resp, err := t.request(c, f)
	desc := Describe(err)
	if err == nil {
		desc = fmt.Sprint(resp.Status)
		if resp.Status/100 == 2 || resp.Status/100 == 5 {
			bad = append(bad, "64 KiB authorization → "+desc)
		}
	} else if _, ok := ResetCode(err); !ok {
		if _, ok := CloseCode(err); !ok {
			bad = append(bad, "64 KiB authorization → "+desc)
		}
	}
	obs = append(obs, "64 KiB authorization → "+desc)
	t.verdict("431, 401 or a stream/connection error; the next connection works (liveness probe)", obs, bad)
}

func checkTwoConversations(t *T, cv *Conv) {
	var obs, bad []string
	cv2, err := t.connectOn(cv.C, t.p)
	if err != nil {
		if _, ok := ResetCode(err); ok {
			obs = append(obs, "second CONNECT → "+Describe(err))
		} else {
			bad = append(bad, "second CONNECT → "+Describe(err))
		}
	} else {
		obs = append(obs, fmt.Sprintf("second CONNECT → %d", cv2.Resp.Status))
		if cv2.Resp.Status/100 == 2 {
			r2 := cv2.Exec("echo two", nil)
			obs = append(obs, "B: "+r2.Summary())
			if !r2.ok() || r2.Stdout.String() != "two\n" {
				bad = append(bad, "conversation B did not run its own channel")
			}
		}
	}
	r1 := cv.Exec("echo one", nil)
	obs = append(obs, "A: "+r1.Summary())
	if !r1.ok() || r1.Stdout.String() != "one\n" {
		bad = append(bad, "conversation A broken by the second CONNECT")
	}
	t.verdict("the second conversation is independent or cleanly refused (0x10b); A keeps working", obs, bad)
}

func checkForeignConversation(t *T, cv *Conv) {
	c2, err := t.dial(DialConfig{})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	b := header(t.p, cv.ID(), frame.ChannelSession, nil, frame.DefaultMaxMessageSize)
	b = appendMsgs(b, t.p, frame.DefaultMaxMessageSize, &frame.Exec{WantReply: true, Command: "echo ran"})
	// Stream 0 of connection 2 must not itself be the channel: send a GET first.
	_, _, _ = t.request(c2, []Field{{":method", "GET"}, {":scheme", "https"}, {":authority", t.s.addr}, {":path", "/conformance-probe"}})
	st, err := openRaw(t, c2, b, false)
	if err != nil {
		t.fail("stream", Describe(err))
		return
	}
	ctx, cancel := context.WithTimeout(t.ctx, 8*time.Second)
	defer cancel()
	got, err := waitEnd(ctx, st, 4096)
	desc, refused := refusal(t.p, got, err)
	if refused && !strings.Contains(string(got), "ran") {
		t.pass("refused (reset or 92), nothing runs", "channel on connection 2 naming conversation "+fmt.Sprint(cv.ID())+" of connection 1 → "+desc)
		return
	}
	t.fail("refused (reset or 92), nothing runs", desc)
}

// checkEarlyData resumes with a session ticket and sends the CONNECT in
// 0-RTT: the answer must be 425 or held until the handshake completes,
// never a 2xx from early data alone (G13).
func checkEarlyData(t *T) {
	tc := t.s.tls.Clone()
	tc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	tc.NextProtos = []string{"h3"}
	first, err := DialH3(t.ctx, t.s.addr, tc, DialConfig{})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	cv, err := t.connectOn(first, t.p)
	if err != nil {
		first.Close()
		t.fail("a first conversation", Describe(err))
		return
	}
	_ = cv
	// A token of the first connection (the early one has no exporter yet).
	authz, _ := t.authz(first, t.p, t.s.cfg.Target.User)
	time.Sleep(100 * time.Millisecond) // let the ticket arrive
	first.Close()
	qc, err := quic.DialAddrEarly(t.ctx, t.s.addr, tc, &quic.Config{EnableDatagrams: true, MaxIdleTimeout: 10 * time.Second})
	if err != nil {
		t.fail("resumption", Describe(err))
		return
	}
	t.onCleanup(func() { _ = qc.CloseWithError(0x100, "") })
	ctrl, err := qc.OpenUniStream()
	if err == nil {
		_, _ = ctrl.Write(AppendSettingsFrame([]byte{0}, []Setting{{settingH3Datagram, 1}}))
	}
	st, err := qc.OpenStream()
	if err != nil {
		t.fail("stream in 0-RTT", Describe(err))
		return
	}
	_, _ = st.Write(EncodeHeaders(t.connectFields(t.p, t.s.cfg.Target.User, authz)))
	resp, err := (&ReqStream{st}).ReadResponse(t.ctx)
	used := qc.ConnectionState().Used0RTT
	obs := fmt.Sprintf("0-RTT used: %v; ", used)
	if err != nil {
		obs += "CONNECT → " + Describe(err)
	} else {
		obs += fmt.Sprintf("CONNECT → %d", resp.Status)
	}
	if !used {
		t.pass("425, or no 2xx from early data", obs+" (the server did not accept early data)")
		return
	}
	if err == nil && resp.Status/100 == 2 {
		t.fail("425, or no 2xx from early data", obs)
		return
	}
	t.pass("425, or no 2xx from early data", obs)
}
