package conformance

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/wire"
)

// projectChecks cover this project's decisions (spec/SPEC.md §7, the P-*
// rows of REQUIREMENTS.md). The rows wrapped in projectRule are decisions
// no other document asks for: toward a server that never took them on
// (the original), a difference is n/a, not a failure. The others stay
// failures there too, because the same behaviour breaks a draft, RFC or
// robustness rule as well (P-N1-1 and P-N1-2: X-ROB-23 and X-ROB-24;
// P-G7-2: RFC 9114 §6.2.1 and §7.2.4; P-G15-1: H-9110-1).
func projectChecks() []def {
	return []def{
		{ID: "P-N1-1", Name: "UnknownMessageClosesChannel", run: withConv(checkUnknownMessageCode), Harmful: true},
		{ID: "P-N1-2", Name: "UnknownRequestFailure", run: withConv(checkUnknownRequestFailure)},
		{ID: "P-N1-3", Name: "PrivateRequestsOnlyWhenAsked", run: withConv(checkPrivateRequests), Harmful: true, Last: true},
		{ID: "P-N2-2", Name: "AlphaCapabilitiesWork", run: needCaps(frame.AllCaps, checkAlphaCapsWork)},
		{ID: "P-N3-1", Name: "ConfirmationAnnouncesMax", run: withConv(checkConfirmationMax)},
		{ID: "P-N3-2", Name: "SmallMaxRefused", run: projectRule(withConv(checkSmallMax)), Harmful: true},
		{ID: "P-N3-3", Name: "HostNameBounds", run: checkHostNameBounds, Harmful: true},
		{ID: "P-G2-1", Name: "ConfirmationBytes", run: withConv(checkConfirmationBytes)},
		{ID: "P-G2-2", Name: "RefusalThenFIN", run: projectRule(withConv(checkRefusalFIN))},
		{ID: "P-G3-1", Name: "HostNameFamily", run: checkHostNameFamily},
		{ID: "P-G4-1", Name: "RawTCPHalfClose", run: checkRawTCP},
		{ID: "P-G5-1", Name: "ReverseListener", run: needCaps(frame.CapReverse, checkReverseListener)},
		{ID: "P-G5-2", Name: "ReverseIncoming", run: needCaps(frame.CapReverse, checkReverseListener)},
		{ID: "P-G5-3", Name: "ReverseAccept", run: needCaps(frame.CapReverse, checkReverseListener)},
		{ID: "P-G5-4", Name: "ReversePendingCapAndHold", run: needCaps(frame.CapReverse, checkReversePending), Timeout: 35 * time.Second},
		{ID: "P-G5-5", Name: "ReverseListenerClose", run: needCaps(frame.CapReverse, checkReverseClose)},
		{ID: "P-G5-6", Name: "ReverseUDP", run: needCaps(frame.CapReverse, checkReverseUDP)},
		{ID: "P-G6-1", Name: "AgentForwarding", run: checkAgentForwarding},
		{ID: "P-G6-2", Name: "AgentOnlyWhenAsked", run: checkAgentRefusals, Timeout: 35 * time.Second},
		{ID: "P-G7-1", Name: "DatagramForUnknownQSIDDropped", run: checkForeignDatagrams, Harmful: true},
		{ID: "P-G7-2", Name: "ControlStreamRules", run: checkControlStreamRules, Harmful: true},
		{ID: "P-G9-1", Name: "NonConnectAndUnknownProtocolFirst", run: projectRule(checkG9Order)},
		{ID: "P-G10-1", Name: "ConnectCloseCancelsChannels", run: projectRule(withConv(checkConnectCancel))},
		{ID: "P-G10-2", Name: "ErrorCodes", run: projectRule(withConv(checkErrorCodes)), Harmful: true},
		{ID: "P-G11-1", Name: "OneReplyPerRequest", run: needCaps(frame.CapReply, withConv(checkReplies))},
		{ID: "P-G12-1", Name: "ConversationCap", run: projectRule(withConv(checkConversationCap)), Harmful: true},
		{ID: "P-G12-2", Name: "OneProfilePerConnection", run: projectRule(withConv(checkOneProfile)), Harmful: true},
		{ID: "P-G16-1", Name: "PtyModesOpaque", run: withConv(checkPtyModes)},
		{ID: "P-G17-1", Name: "EarlyChannelsBuffered", run: projectRule(checkEarlyChannels), Harmful: true},
		{ID: "P-G17-2", Name: "FailedConnectResetsBuffered", run: projectRule(checkFailedConnectBuffered), Harmful: true},
	}
}

func checkUnknownMessageCode(t *T, cv *Conv) {
	b := header(t.p, cv.ID(), frame.ChannelSession, nil, frame.DefaultMaxMessageSize)
	b = wire.AppendVarint(b, 0x3fff)
	desc, _ := t.refusedWithin(cv.C, b, false, 4*time.Second)
	res := cv.Exec("echo on", nil)
	obs := "message 0x3fff → " + desc + "; then exec: " + res.Summary()
	t.expect(strings.Contains(desc, "0x10e") && res.ok(), "that channel reset with H3_MESSAGE_ERROR 0x10e; the conversation continues", obs)
}

func checkUnknownRequestFailure(t *T, cv *Conv) {
	res := cv.Exec("echo next", []frame.Message{&frame.UnknownRequest{RequestName: "x-probe@example.org", WantReply: true}})
	obs := res.Summary()
	if !t.takesReplies(cv) {
		// The peer announced no replies: only the next message counts.
		t.expect(res.ok() && len(res.Replies) == 0 && res.Stdout.String() == "next\n", "no reply (the server announced no reply capability); the next message (exec) is processed", obs)
		return
	}
	t.expect(res.ok() && len(res.Replies) >= 1 && res.Replies[0] == frame.MsgFailure && res.Stdout.String() == "next\n", "CHANNEL_FAILURE for want-reply 1; the next message (exec) is processed", obs)
}

func checkAlphaCapsWork(t *T) {
	if t.p != frame.Alpha {
		t.na("ssh3-alpha only")
		return
	}
	cv := t.mustConv()
	if cv == nil {
		return
	}
	ch, err := cv.Open(frame.ChannelSession, nil,
		&frame.Env{WantReply: true, Variable: "LANG", Value: "C"},
		&frame.Exec{WantReply: true, Command: "cat"}, &frame.Data{Data: []byte("eof-works")})
	if err != nil {
		t.fail("channel", Describe(err))
		return
	}
	_ = ch.St.Close()
	res := ch.Collect()
	obs := res.Summary()
	t.expect(res.ok() && res.Stdout.String() == "eof-works" && len(res.Replies) == 2, "with caps announced: replies (99/100) to want-reply, env handled, FIN as stdin EOF", obs)
}

func checkConfirmationMax(t *T, cv *Conv) {
	res := cv.Exec("true", nil)
	if res.Confirmed == nil {
		t.fail("91", res.Summary())
		return
	}
	got := res.Confirmed.MaxMessageSize
	obs := fmt.Sprintf("91 announces %d", got)
	ok := got >= frame.MinMaxMessageSize
	if t.p == frame.Alpha {
		ok = got == frame.DefaultMaxMessageSize
	}
	t.expect(ok, "91 announces the acceptor's maximum (alpha 30000; rth3-00 ≥ 256)", obs)
}

func checkSmallMax(t *T, cv *Conv) {
	b := wire.AppendVarintLen(nil, t.p.Signal(), 8)
	b = wire.AppendVarint(b, cv.ID())
	b = wire.AppendString(b, frame.ChannelSession)
	b = wire.AppendVarint(b, 100)
	b = appendMsgs(b, t.p, frame.DefaultMaxMessageSize, &frame.Exec{WantReply: true, Command: "echo small"})
	desc, _ := t.refusedWithin(cv.C, b, false, 4*time.Second)
	t.expect(strings.Contains(desc, "0x10e"), "a header announcing 100 (< 256) is reset with 0x10e", desc)
}

func checkHostNameBounds(t *T) {
	if t.p != frame.RTH300 {
		t.na("rth3-00 only")
		return
	}
	cv := t.mustConv()
	if cv == nil {
		return
	}
	var obs, bad []string
	for _, name := range []string{"", strings.Repeat("h", 256)} {
		b := wire.AppendVarintLen(nil, t.p.Signal(), 8)
		b = wire.AppendVarint(b, cv.ID())
		b = wire.AppendString(b, frame.ChannelDirectTCP)
		b = wire.AppendVarint(b, frame.DefaultMaxMessageSize)
		b = append(b, 0)
		b = wire.AppendString(b, name)
		b = append(b, 0, 22)
		desc, ok := t.refusedWithin(cv.C, b, false, 4*time.Second)
		obs = append(obs, fmt.Sprintf("host name of %d bytes → %s", len(name), desc))
		if !ok {
			bad = append(bad, fmt.Sprintf("%d bytes → %s", len(name), desc))
		}
	}
	obs, bad = cv.afterwards("true", "conversation harmed", obs, bad)
	t.verdict("refused on that stream only", obs, bad)
}

func checkConfirmationBytes(t *T, cv *Conv) {
	ch, err := cv.Open(frame.ChannelSession, nil, &frame.Exec{WantReply: true, Command: "true"})
	if err != nil {
		t.fail("channel", Describe(err))
		return
	}
	res := ch.Collect()
	first := ch.First()
	want := []byte{0x40, 0x5b}
	if t.p == frame.RTH300 {
		want = append(want, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	}
	obs := fmt.Sprintf("first bytes % x", first[:min(len(first), 14)])
	t.expect(bytes.HasPrefix(first, want) && res.Confirmed != nil, fmt.Sprintf("91 first: % x, max", want), obs)
}

func checkRefusalFIN(t *T, cv *Conv) {
	st, err := cv.OpenRaw(header(t.p, cv.ID(), "x-probe", nil, frame.DefaultMaxMessageSize), false)
	if err != nil {
		t.fail("stream", Describe(err))
		return
	}
	ctx, cancel := t.sub(4 * time.Second)
	defer cancel()
	got, err := waitEnd(ctx, st, 4096)
	m, n, perr := frame.ParseMessage(got, t.p, frame.DefaultMaxMessageSize)
	obs := fmt.Sprintf("% x then %s", got, Describe(err))
	if _, ok := m.(*frame.OpenFailure); ok && perr == nil && n == len(got) && err == nil {
		t.pass("92 then FIN, nothing else", obs)
		return
	}
	t.fail("92 then FIN, nothing else", obs)
}

func checkHostNameFamily(t *T) {
	cv := t.echoConv("needs the suite's loopback echo target")
	if cv == nil {
		return
	}
	ap := netip.MustParseAddrPort(t.s.echo.tcp.Addr().String())
	name := frame.NameAddress("localhost", ap.Port())
	if t.p == frame.Alpha {
		b := wire.AppendVarintLen(nil, t.p.Signal(), 8)
		b = wire.AppendVarint(b, cv.ID())
		b = wire.AppendString(b, frame.ChannelDirectTCP)
		b = wire.AppendVarint(b, frame.DefaultMaxMessageSize)
		b = append(b, 0)
		b = wire.AppendString(b, "localhost")
		b = append(b, byte(ap.Port()>>8), byte(ap.Port()))
		desc, ok := t.refusedWithin(cv.C, b, false, 4*time.Second)
		t.expect(ok, "alpha: family 0 refused", desc)
		return
	}
	ch, err := cv.Open(frame.ChannelDirectTCP, &name)
	if err != nil {
		t.fail("channel", Describe(err))
		return
	}
	got, err := tcpRoundTrip(ch, []byte("by-name"))
	obs := fmt.Sprintf("localhost:%d → %q %s", ap.Port(), got, Describe(err))
	t.expect(string(got) == "by-name", "rth3-00: family 0 resolved by the server", obs)
}

func checkRawTCP(t *T) {
	if t.p != frame.RTH300 {
		t.na("rth3-00 only")
		return
	}
	_, ch := t.echoChannel(frame.ChannelDirectTCP, "needs the suite's loopback echo target")
	if ch == nil {
		return
	}
	_, _ = ch.St.Write([]byte("half"))
	_ = ch.St.Close()
	got, err := waitEnd(t.ctx, ch.St, 64)
	obs := fmt.Sprintf("sent \"half\" + FIN; got %q then %s", got, Describe(err))
	t.expect(string(got) == "halfbye" && err == nil, "raw bytes both ways, no 91; FIN → TCP half-close → the target's FIN comes back", obs)
}

func checkControlStreamRules(t *T) {
	ctl := func(frames ...[]byte) []byte {
		b := wire.AppendVarint(nil, streamTypeControl)
		for _, f := range frames {
			b = append(b, f...)
		}
		return b
	}
	settings := AppendSettingsFrame(nil, []Setting{{settingH3Datagram, 1}})
	dataFrame := []byte{h3FrameData, 0x01, 0x00}
	cases := []struct {
		label string
		code  uint64
		cfg   DialConfig
		extra func(c *H3Conn)
	}{
		{"a second control stream", 0x103, DialConfig{}, func(c *H3Conn) {
			st, err := c.QUIC.OpenUniStream()
			if err == nil {
				_, _ = st.Write(ctl(settings))
			}
		}},
		{"first frame not SETTINGS", 0x10a, DialConfig{RawControl: ctl(dataFrame)}, nil},
		{"control stream closed", 0x104, DialConfig{}, func(c *H3Conn) { _ = c.Control.Close() }},
		{"SETTINGS_ENABLE_CONNECT_PROTOCOL=2", 0x109, DialConfig{Settings: []Setting{{settingH3Datagram, 1}, {settingConnectProtocol, 2}}}, nil},
		{"DATA on the control stream", 0x105, DialConfig{RawControl: ctl(settings, dataFrame)}, nil},
	}
	var obs, bad []string
	for _, k := range cases {
		c, err := t.dial(k.cfg)
		if err != nil {
			bad = append(bad, k.label+": "+Describe(err))
			continue
		}
		if k.extra != nil {
			k.extra(c)
		}
		desc, ok := expectClose(t, c, k.code, 2*time.Second)
		obs = append(obs, k.label+" → "+desc)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s → %s (want %s)", k.label, desc, CodeName(k.code)))
		}
	}
	t.verdict("0x103, 0x10a, 0x104, 0x109, 0x105 respectively", obs, bad)
}

func checkG9Order(t *T) {
	var obs, bad []string
	c, err := t.dial(DialConfig{})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	_, resp, err := t.request(c, []Field{{":method", "GET"}, {":scheme", "https"}, {":authority", t.s.addr}, {":path", t.userPath(t.s.cfg.Target.User)}})
	if err != nil {
		bad = append(bad, "GET: "+Describe(err))
	} else {
		obs = append(obs, fmt.Sprintf("GET on the secret path → %d", resp.Status))
		for _, b := range check404(resp) {
			bad = append(bad, "GET: "+b)
		}
	}
	f := t.connectFields(t.p, t.s.cfg.Target.User, "")
	f[1].Value = "bogus"
	f = f[:len(f)-1] // no version header either: 501 must come first
	_, resp, err = t.request(c, f)
	if err != nil {
		bad = append(bad, ":protocol bogus: "+Describe(err))
	} else {
		obs = append(obs, fmt.Sprintf(":protocol bogus, no credentials, no version → %d", resp.Status))
		if resp.Status != 501 {
			bad = append(bad, fmt.Sprintf(":protocol bogus → %d", resp.Status))
		}
	}
	t.verdict("non-CONNECT → stock 404; unknown :protocol → 501; both before version and authentication", obs, bad)
}

func checkConnectCancel(t *T, cv *Conv) {
	ch, err := cv.Open(frame.ChannelSession, nil, &frame.Exec{WantReply: true, Command: "sleep 30"})
	if err != nil {
		t.fail("channel", Describe(err))
		return
	}
	if _, err := ch.Read(); err != nil {
		t.fail("91", Describe(err))
		return
	}
	_ = cv.Req.Close()
	ctx, cancel := t.sub(3 * time.Second)
	defer cancel()
	_, err = waitEnd(ctx, ch.St, 4096)
	code, ok := ResetCode(err)
	t.expect(ok && code == 0x10c, "the channel is reset with H3_REQUEST_CANCELLED 0x10c", Describe(err))
}

func checkErrorCodes(t *T, cv *Conv) {
	sig := wire.AppendVarintLen(nil, t.p.Signal(), 8)
	conv := wire.AppendVarint(nil, cv.ID())
	cases := []struct {
		label string
		b     []byte
		want  uint64
	}{
		{"malformed header (empty type)", append(append(append([]byte{}, sig...), conv...), 0x00, 0x80, 0, 0x75, 0x30), 0x10e},
		{"type of 300 bytes", append(append(append(append([]byte{}, sig...), conv...), wire.AppendVarint(nil, 300)...), bytes.Repeat([]byte("a"), 300)...), 0x10e},
		{"conversation 2 (not a request stream)", header(t.p, 2, frame.ChannelSession, nil, frame.DefaultMaxMessageSize), 0x10b},
	}
	var obs, bad []string
	for _, k := range cases {
		desc, _ := t.refusedWithin(cv.C, k.b, false, 4*time.Second)
		obs = append(obs, k.label+" → "+desc)
		if desc != "reset "+CodeName(k.want) {
			bad = append(bad, fmt.Sprintf("%s → %s, want %s", k.label, desc, CodeName(k.want)))
		}
	}
	t.verdict("the G10 codes: 0x10e malformed header (an over-long type included), 0x10b refused", obs, bad)
}

func checkReplies(t *T, cv *Conv) {
	res := cv.Exec("true", []frame.Message{
		&frame.Env{WantReply: true, Variable: "LANG", Value: "C"},
		&frame.UnknownRequest{RequestName: "x-probe@example.org", WantReply: true},
		&frame.Env{WantReply: false, Variable: "LC_ALL", Value: "C"},
	})
	obs := res.Summary()
	t.expect(len(res.Replies) == 3 && res.Replies[1] == frame.MsgFailure && res.Replies[2] == frame.MsgSuccess && res.ok(), "exactly one 99/100 per want-reply request, in order: [env, x-probe→100, exec→99]", obs)
}

func checkConversationCap(t *T, cv *Conv) {
	var obs []string
	var refused bool
	for i := 2; i <= 5; i++ {
		x, err := t.connectOn(cv.C, t.p)
		if err != nil {
			obs = append(obs, fmt.Sprintf("CONNECT %d → %s", i, Describe(err)))
			continue
		}
		obs = append(obs, fmt.Sprintf("CONNECT %d → %d", i, x.Resp.Status))
		if i == 5 && x.Resp.Status == 429 {
			refused = true
		}
	}
	res := cv.Exec("echo first", nil)
	obs = append(obs, "first conversation: "+res.Summary())
	const want = "4 conversations; the 5th CONNECT answered 429 (SPEC §2.5, G12); existing ones continue"
	t.expect(refused && res.ok(), want, joinObs(obs))
}

func checkOneProfile(t *T, cv *Conv) {
	other := frame.Alpha
	if t.p == frame.Alpha {
		other = frame.RTH300
	}
	var obs, bad []string
	x, err := t.connectOn(cv.C, other)
	if err == nil {
		obs = append(obs, fmt.Sprintf("%s CONNECT on the same connection → %d", other.Name(), x.Resp.Status))
	} else {
		obs = append(obs, other.Name()+" CONNECT on the same connection → "+Describe(err))
	}
	if err != nil || x.Resp.Status != 400 {
		bad = append(bad, "other profile's CONNECT not answered 400")
	}
	desc, _ := t.refusedWithin(cv.C, header(other, cv.ID(), frame.ChannelSession, nil, frame.DefaultMaxMessageSize), false, 4*time.Second)
	obs = append(obs, "channel with the other profile's signal → "+desc)
	if desc != "reset "+CodeName(0x10e) {
		bad = append(bad, "other signal → "+desc)
	}
	t.verdict("other profile's CONNECT → 400 (SPEC §1.3); other profile's signal → 0x10e", obs, bad)
}

func checkPtyModes(t *T, cv *Conv) {
	var obs, bad []string
	for _, modes := range [][]byte{nil, {53, 0, 0, 0, 0, 0}} { // ECHO=0, TTY_OP_END
		res := cv.Exec("echo pty", []frame.Message{&frame.PtyReq{WantReply: true, Term: "xterm", Columns: 80, Rows: 24, Modes: modes}})
		obs = append(obs, fmt.Sprintf("modes % x → %s", modes, res.Summary()))
		if !res.ok() || !strings.Contains(res.Stdout.String(), "pty") {
			bad = append(bad, fmt.Sprintf("modes % x", modes))
		}
		if len(res.Replies) > 0 && res.Replies[0] != frame.MsgSuccess {
			bad = append(bad, fmt.Sprintf("pty-req with modes % x refused", modes))
		}
	}
	t.verdict("pty-req with an empty and a non-empty modes blob accepted", obs, bad)
}

func checkEarlyChannels(t *T) {
	c, err := t.dial(DialConfig{})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	a, err := t.authz(c, t.p, t.s.cfg.Target.User)
	if err != nil {
		t.fail("credential", err.Error())
		return
	}
	// Reserve stream 0 for the CONNECT, send a channel on stream 4 first.
	st0, err := c.QUIC.OpenStreamSync(t.ctx)
	if err != nil {
		t.fail("stream", Describe(err))
		return
	}
	t.onCleanup(func() { st0.CancelRead(0x10c); st0.CancelWrite(0x10c) })
	b := header(t.p, 0, frame.ChannelSession, nil, frame.DefaultMaxMessageSize)
	b = appendMsgs(b, t.p, frame.DefaultMaxMessageSize, &frame.Exec{WantReply: true, Command: "echo early"})
	st, err := openRaw(t, c, b, false)
	if err != nil {
		t.fail("stream", Describe(err))
		return
	}
	time.Sleep(200 * time.Millisecond)
	_, _ = st0.Write(EncodeHeaders(t.connectFields(t.p, t.s.cfg.Target.User, a)))
	resp, err := (&ReqStream{st0}).ReadResponse(t.ctx)
	if err != nil {
		t.fail("200", Describe(err))
		return
	}
	ch := newChan(t, st, t.p, frame.DefaultMaxMessageSize)
	res := ch.Collect()
	obs := fmt.Sprintf("CONNECT sent 200 ms after its channel → %d; channel: %s", resp.Status, res.Summary())
	t.expect(resp.Status/100 == 2 && res.ok() && res.Stdout.String() == "early\n", "a channel that arrives before its CONNECT is buffered and runs after the 200", obs)
}

func checkFailedConnectBuffered(t *T) {
	c, err := t.dial(DialConfig{})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	st0, err := c.QUIC.OpenStreamSync(t.ctx)
	if err != nil {
		t.fail("stream", Describe(err))
		return
	}
	t.onCleanup(func() { st0.CancelRead(0x10c); st0.CancelWrite(0x10c) })
	b := header(t.p, 0, frame.ChannelSession, nil, frame.DefaultMaxMessageSize)
	st, err := openRaw(t, c, b, false)
	if err != nil {
		t.fail("stream", Describe(err))
		return
	}
	time.Sleep(100 * time.Millisecond)
	_, _ = st0.Write(EncodeHeaders(t.connectFields(t.p, t.s.cfg.Target.User, basic(t.s.cfg.Target.User, "conformance-wrong"))))
	resp, err := (&ReqStream{st0}).ReadResponse(t.ctx)
	start := time.Now()
	ctx, cancel := t.sub(4 * time.Second)
	defer cancel()
	_, err2 := waitEnd(ctx, st, 64)
	took := time.Since(start)
	var obs, bad []string
	if err != nil {
		obs = append(obs, "CONNECT → "+Describe(err))
	} else {
		obs = append(obs, fmt.Sprintf("CONNECT → %d", resp.Status))
	}
	obs = append(obs, fmt.Sprintf("buffered channel → %s %s after the answer", Describe(err2), took.Round(10*time.Millisecond)))
	if code, ok := ResetCode(err2); !ok || code != 0x10b || took > 2*time.Second {
		bad = append(bad, "buffered channel not reset with 0x10b at once")
	}
	desc, _ := t.refusedWithin(c, header(t.p, 0, frame.ChannelSession, nil, frame.DefaultMaxMessageSize), false, 2*time.Second)
	obs = append(obs, "a later channel naming the failed conversation → "+desc)
	if desc != "reset "+CodeName(0x10b) {
		bad = append(bad, "later channel → "+desc)
	}
	t.verdict("buffered channels reset with 0x10b at once when the CONNECT fails; later ones too", obs, bad)
}
