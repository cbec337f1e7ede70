package frame_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/wire"
)

// Bad input: every refusal is a typed error, never a panic, and nothing a
// length announces is allocated before it has arrived.

// errKind is what a bad input must give.
type errKind int

const (
	kindSize      errKind = iota // *SizeError, ErrTooLarge
	kindTruncated                // io.ErrUnexpectedEOF
	kindField                    // *FieldError, not truncated
	kindNotChan                  // ErrNotChannel
)

func checkKind(t *testing.T, what string, err error, kind errKind) {
	t.Helper()
	var se *frame.SizeError
	var fe *frame.FieldError
	switch kind {
	case kindSize:
		if !errors.As(err, &se) || !errors.Is(err, frame.ErrTooLarge) {
			t.Errorf("%s: err = %v, want *SizeError matching ErrTooLarge", what, err)
		}
	case kindTruncated:
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: err = %v, want io.ErrUnexpectedEOF", what, err)
		}
	case kindField:
		if !errors.As(err, &fe) || errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: err = %v, want a *FieldError that is not a truncation", what, err)
		}
	case kindNotChan:
		if !errors.Is(err, frame.ErrNotChannel) {
			t.Errorf("%s: err = %v, want ErrNotChannel", what, err)
		}
	}
	if err != nil && !strings.HasPrefix(err.Error(), "frame: ") {
		t.Errorf("%s: message %q lacks the package prefix", what, err)
	}
}

func TestBadMessages(t *testing.T) {
	long := strings.Repeat("a", 40)
	cases := []struct {
		name string
		wire string
		max  uint64
		kind errKind
	}{
		{"data-claims-2^40", `40 5e c0 00 01 00 00 00 00 00`, testMax, kindSize},
		{"data-claims-2^40-huge-max", `40 5e c0 00 01 00 00 00 00 00`, wire.MaxVarint, kindTruncated},
		{"data-over-max", `40 5e 40 64 ` + strings.Repeat("00", 100), 50, kindSize},
		{"data-at-max+1", `40 5e 40 40 ` + strings.Repeat("00", 64), 67, kindSize},
		{"env-fields-fit-message-does-not", `40 62 03 "env" 00 14 "` + long[:20] + `" 14 "` + long[:20] + `"`, 40, kindSize},
		{"exec-over-max", `40 62 04 "exec" 00 28 "` + long + `"`, 30, kindSize},
		{"bool-2-want-reply", `40 62 05 "shell" 02`, testMax, kindField},
		{"bool-ff-xon-xoff", `40 62 08 "xon-xoff" 00 ff`, testMax, kindField},
		{"bool-2-x11-single", `40 62 07 "x11-req" 00 02 00 00 00`, testMax, kindField},
		{"bool-2-core-dumped", `40 62 0b "exit-signal" 00 04 "KILL" 02 00 00`, testMax, kindField},
		{"utf8-request-name", `40 62 03 "ex" ff 00`, testMax, kindField},
		{"utf8-open-failure", `40 5c 02 02 c3 28 00`, testMax, kindField},
		{"utf8-signal", `40 62 06 "signal" 00 01 80`, testMax, kindField},
		{"utf8-subsystem", `40 62 09 "subsystem" 00 01 fe`, testMax, kindField},
		{"reverse-incoming-family-5", `40 62 10 "reverse-incoming" 00 03 05 7f 00 00 01 00 16`, testMax, kindField},
		{"reverse-incoming-family-0", `40 62 10 "reverse-incoming" 00 03 00 04 "host" 00 16`, testMax, kindField},
		{"reverse-incoming-no-port", `40 62 10 "reverse-incoming" 00 03 04 7f 00 00 01`, testMax, kindTruncated},
		{"reverse-incoming-short-address", `40 62 10 "reverse-incoming" 00 03 06 00 00 00`, testMax, kindTruncated},
		{"type-varint-cut", `40`, testMax, kindTruncated},
		{"exit-status-cut", `40 62 0b "exit-status" 00 80 00`, testMax, kindTruncated},
		{"pty-modes-over-max", `40 62 07 "pty-req" 00 00 00 00 00 00 41 00`, 255, kindSize},
	}
	both(t, func(t *testing.T, p *frame.Profile) {
		for _, c := range cases {
			noPanic(t, c.name, func() {
				m, n, err := frame.ParseMessage(wireBytes(c.wire), p, c.max)
				if err == nil {
					t.Errorf("%s: decoded %#v (%d bytes)", c.name, m, n)
					return
				}
				if m != nil || n != 0 {
					t.Errorf("%s: error with a result %#v, %d", c.name, m, n)
				}
				checkKind(t, c.name, err, c.kind)
				// A Reader refuses the same bytes the same way.
				_, rerr := frame.NewReader(oneByteStream(wireBytes(c.wire)), p, c.max).ReadMessage()
				checkKind(t, c.name+" (Reader)", rerr, c.kind)
			})
		}
	})
	var be *wire.BoolError
	_, _, err := frame.ParseMessage(wireBytes(`40 62 05 "shell" 02`), frame.Alpha, testMax)
	if !errors.As(err, &be) || be.Value != 2 {
		t.Errorf("boolean 2: %v, want a *wire.BoolError inside", err)
	}
	_, _, err = frame.ParseMessage(wireBytes(`40 5c 02 02 c3 28 00`), frame.Alpha, testMax)
	if !errors.Is(err, wire.ErrInvalidUTF8) {
		t.Errorf("bad UTF-8: %v, want wire.ErrInvalidUTF8 inside", err)
	}
	var se *frame.SizeError
	_, _, err = frame.ParseMessage(wireBytes(`40 5e c0 00 01 00 00 00 00 00`), frame.Alpha, testMax)
	if !errors.As(err, &se) || se.Size != 1<<40 || se.Max != testMax {
		t.Errorf("2^40 claim: %#v", err)
	}
}

// TestHugeClaimAllocatesNothing: a DATA claiming 2^40 bytes in a 10-byte
// input errors before anything of that size is allocated, whatever max.
func TestHugeClaimAllocatesNothing(t *testing.T) {
	in := wireBytes(`40 5e c0 00 01 00 00 00 00 00`)
	for _, max := range []uint64{testMax, 1 << 41, wire.MaxVarint} {
		allocs := testing.AllocsPerRun(100, func() {
			if _, _, err := frame.ParseMessage(in, frame.Alpha, max); err == nil {
				t.Fatal("decoded")
			}
		})
		if allocs > 8 {
			t.Errorf("max %d: %v allocations per parse", max, allocs)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 100 {
			_, _, _ = frame.ParseMessage(in, frame.Alpha, max)
			r := frame.NewReader(bytes.NewReader(in), frame.Alpha, max)
			_, _ = r.ReadMessage()
		}
		runtime.ReadMemStats(&after)
		if perRun := (after.TotalAlloc - before.TotalAlloc) / 100; perRun > 64<<10 {
			t.Errorf("max %d: %d bytes allocated per parse of a 10-byte input", max, perRun)
		}
	}
}

// TestReaderBoundsBuffer: a stream that keeps sending one message over the
// maximum is refused once max bytes are buffered, not read to its end.
func TestReaderBoundsBuffer(t *testing.T) {
	head := wireBytes(`40 5e 80 10 00 00`) // DATA of 1 MiB
	stream := io.MultiReader(bytes.NewReader(head), infiniteZeros{})
	r := frame.NewReader(stream, frame.Alpha, 1<<21) // the field fits, the bytes never end
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := r.ReadMessage()
	runtime.ReadMemStats(&after)
	if err != nil || len(m.(*frame.Data).Data) != 1<<20 {
		t.Fatalf("ReadMessage = %v", err)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 8<<20 {
		t.Errorf("allocated %d bytes for a 1 MiB message", a)
	}
	r = frame.NewReader(io.MultiReader(bytes.NewReader(head), infiniteZeros{}), frame.Alpha, 1000)
	if _, err := r.ReadMessage(); !errors.Is(err, frame.ErrTooLarge) {
		t.Errorf("over max: %v", err)
	}
	// Each field within max, the message not: refused once max bytes are
	// buffered, and no more is read.
	env := wireBytes(`40 62 03 "env" 00 40 c8` + strings.Repeat(" 00", 200) + ` 40 c8`)
	r = frame.NewReader(io.MultiReader(bytes.NewReader(env), infiniteZeros{}), frame.Alpha, 300)
	if _, err := r.ReadMessage(); !errors.Is(err, frame.ErrTooLarge) {
		t.Errorf("env over max: %v", err)
	}
	if r.Buffered() > 4096+300 {
		t.Errorf("Reader buffered %d bytes", r.Buffered())
	}
}

type infiniteZeros struct{}

func (infiniteZeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestBadChannelHeaders(t *testing.T) {
	type262 := strings.Repeat("t", 257)
	cases := []struct {
		name string
		wire string
		kind errKind
	}{
		{"type-2^30", sigAlpha + ` 00 c0 00 00 00 40 00 00 00 "session"`, kindSize},
		{"type-257", sigRTH + ` 00 41 01 "` + type262 + `" 80 00 75 30`, kindSize},
		{"type-empty", sigAlpha + ` 00 00 80 00 75 30`, kindField},
		{"type-utf8", sigAlpha + ` 00 02 c3 28 80 00 75 30`, kindField},
		{"not-a-signal-http3-headers", `01 40 50 d1 d7`, kindNotChan},
		{"not-a-signal-near-miss", `c0 00 00 00 af 36 27 e7 00 07 "session" 80 00 75 30`, kindNotChan},
		{"not-a-signal-short-form", `80 af 36 27 00 07 "session" 80 00 75 30`, kindNotChan},
		{"family-5", sigAlpha + ` 00 0a "direct-tcp" 80 00 75 30 05 7f 00 00 01 1f 90`, kindField},
		{"family-5-rth", sigRTH + ` 00 0a "direct-udp" 80 00 75 30 05 7f 00 00 01 1f 90`, kindField},
		{"family-0-alpha", sigAlpha + ` 00 0a "direct-tcp" 80 00 75 30 00 04 "host" 1f 90`, kindField},
		{"family-0-empty-name", sigRTH + ` 00 0a "direct-tcp" 80 00 75 30 00 00 1f 90`, kindField},
		{"family-0-bad-utf8", sigRTH + ` 00 0a "direct-tcp" 80 00 75 30 00 01 ff 1f 90`, kindField},
		{"family-0-name-256", sigRTH + ` 00 0a "direct-tcp" 80 00 75 30 00 41 00 "` + type262[:256] + `" 1f 90`, kindField},
		{"family-0-name-257", sigRTH + ` 00 0a "direct-tcp" 80 00 75 30 00 41 01 "` + type262 + `" 1f 90`, kindSize},
		{"truncated-ipv4", sigAlpha + ` 00 0a "direct-tcp" 80 00 75 30 04 7f 00`, kindTruncated},
		{"truncated-ipv6", sigAlpha + ` 00 0a "direct-tcp" 80 00 75 30 06 00 00 00 00 00 00 00 00`, kindTruncated},
		{"missing-port", sigAlpha + ` 00 0a "direct-tcp" 80 00 75 30 04 7f 00 00 01`, kindTruncated},
		{"half-port", sigAlpha + ` 00 0a "direct-tcp" 80 00 75 30 06 00 00 00 00 00 00 00 00 00 00 ff ff 7f 00 00 01 1f`, kindTruncated},
		{"missing-address", sigAlpha + ` 00 0a "direct-udp" 80 00 75 30`, kindTruncated},
		{"reverse-role-2", sigRTH + ` 00 0b "reverse-tcp" 80 00 75 30 02 00 00`, kindField},
		{"reverse-accept-cut", sigRTH + ` 00 0b "reverse-tcp" 80 00 75 30 01 08`, kindTruncated},
		{"agent-accept-cut", sigRTH + ` 00 10 "agent-connection" 80 00 75 30 04`, kindTruncated},
		{"missing-max", sigRTH + ` 00 07 "session"`, kindTruncated},
	}
	for _, c := range cases {
		noPanic(t, c.name, func() {
			h, p, n, err := frame.ParseChannelHeader(wireBytes(c.wire))
			if err == nil {
				t.Errorf("%s: decoded %+v in %v (%d bytes)", c.name, h, p, n)
				return
			}
			if p != nil || n != 0 {
				t.Errorf("%s: error with a profile %v, %d bytes", c.name, p, n)
			}
			checkKind(t, c.name, err, c.kind)
			_, _, rerr := frame.NewReader(oneByteStream(wireBytes(c.wire)), nil, testMax).ReadHeader()
			checkKind(t, c.name+" (Reader)", rerr, c.kind)
		})
	}
}

// TestOtherProfileSignal: the header decodes as the profile its signal
// names, whatever the caller expected; the returned profile tells.
func TestOtherProfileSignal(t *testing.T) {
	for _, p := range frame.Profiles() {
		h := frame.ChannelHeader{Type: frame.ChannelAgentConnection, MaxMessageSize: 30000}
		if p == frame.RTH300 {
			h.Extra = &frame.AgentAccept{Session: 4, Connection: 9}
		}
		b, err := h.Append(nil, p)
		if err != nil {
			t.Fatal(err)
		}
		_, got, _, err := frame.ParseChannelHeader(b)
		if err != nil || got != p {
			t.Errorf("%v header decoded as %v, %v", p, got, err)
		}
	}
	// An alpha session header on a stream where rth3-00 was expected.
	_, got, _, err := frame.ParseChannelHeader(wireBytes(sigAlpha + ` 00 07 "session" 80 00 75 30`))
	if err != nil || got != frame.Alpha {
		t.Errorf("alpha signal: %v, %v", got, err)
	}
}

// TestNonMinimalVarints: non-minimal varints are accepted on decode
// (H-9000-1; the reference decodes them too). Re-encoding gives the minimal
// form, which decodes to the same value.
func TestNonMinimalVarints(t *testing.T) {
	h, p, n, err := frame.ParseChannelHeader(wireBytes(sigAlpha + ` 40 00 07 "session" 80 00 75 30`))
	if err != nil || p != frame.Alpha || n != 22 || h.Conversation != 0 || h.Type != "session" {
		t.Errorf("conversation as 40 00: %+v %v %d %v", h, p, n, err)
	}
	h, _, _, err = frame.ParseChannelHeader(wireBytes(sigRTH + ` c0 00 00 00 00 00 00 04 40 07 "session" c0 00 00 00 00 00 75 30`))
	if err != nil || h.Conversation != 4 || h.MaxMessageSize != 30000 {
		t.Errorf("8-byte conversation and max: %+v %v", h, err)
	}
	both(t, func(t *testing.T, p *frame.Profile) {
		for in, want := range map[string]frame.Message{
			`80 00 00 5e 02 "hi"`:                               &frame.Data{Data: []byte("hi")},
			`c0 00 00 00 00 00 00 5e 40 02 "hi"`:                &frame.Data{Data: []byte("hi")},
			`40 62 40 05 "shell" 01`:                            &frame.Shell{WantReply: true},
			`40 62 0b "exit-status" 00 c0 00 00 00 00 00 00 03`: &frame.ExitStatus{Status: 3},
			`80 00 00 61`:                                       &frame.Close{},
		} {
			m, n, err := frame.ParseMessage(wireBytes(in), p, testMax)
			if err != nil || n != len(wireBytes(in)) || !msgEqual(m, want) {
				t.Errorf("%s: %#v %d %v", in, m, n, err)
			}
		}
	})
}

// TestAppendRefusesValues: values no varint carries are a *ValueError from
// Append, and Len does not panic on them (the original crashed encoding an
// exit status of -1, §6).
func TestAppendRefusesValues(t *testing.T) {
	huge := uint64(1 << 62)
	msgs := []frame.Message{
		&frame.ExitStatus{Status: huge},
		&frame.ExitStatus{Status: 1<<64 - 1},
		&frame.OpenConfirmation{MaxMessageSize: huge},
		&frame.OpenConfirmation{InitialWindow: huge, MaxMessageSize: 1},
		&frame.OpenFailure{Reason: huge},
		&frame.WindowAdjust{Bytes: huge},
		&frame.ExtendedData{DataType: huge},
		&frame.PtyReq{Columns: huge},
		&frame.PtyReq{HeightPx: huge},
		&frame.WindowChange{Rows: huge},
		&frame.X11Req{Screen: huge},
		&frame.AgentIncoming{Connection: huge},
		&frame.ReverseBound{Port: huge},
		&frame.ReverseIncoming{Connection: huge, Originator: *ipAddr("1.2.3.4", 1)},
		&frame.ReverseIncoming{Originator: frame.NameAddress("host", 1)},
		&frame.ReverseIncoming{Originator: frame.Address{Family: 9}},
		&frame.UnknownMessage{MsgType: frame.MsgType(huge)},
		// What the decoder would refuse or misread is not written either.
		&frame.UnknownMessage{MsgType: frame.MsgData},
		&frame.UnknownRequest{RequestName: frame.ReqExec},
		&frame.UnknownRequest{RequestName: "x-\xff"},
		&frame.OpenFailure{Description: "caf\xe9"},
		&frame.Signal{Signal: "\xff"},
		&frame.Subsystem{Subsystem: "\xc3"},
		&frame.ExitSignal{Signal: "\xff"},
		&frame.ExitSignal{Signal: "KILL", ErrorMessage: "\xed\xa0\x80"},
	}
	both(t, func(t *testing.T, p *frame.Profile) {
		for _, m := range msgs {
			if p == frame.Alpha {
				if c, ok := m.(*frame.OpenConfirmation); ok && c.InitialWindow == huge {
					continue // alpha does not write the window
				}
			}
			noPanic(t, "Append", func() {
				_ = m.Len(p)
				got, err := m.Append([]byte{5}, p)
				var ve *frame.ValueError
				if !errors.As(err, &ve) || !strings.HasPrefix(err.Error(), "frame: ") {
					t.Errorf("%#v: err = %v, want *ValueError", m, err)
				}
				if !bytes.Equal(got, []byte{5}) {
					t.Errorf("%#v: wrote % x on error", m, got)
				}
				if _, err := frame.AppendMessage(nil, m, p, testMax); !errors.As(err, &ve) {
					t.Errorf("AppendMessage %#v: %v", m, err)
				}
			})
		}
	})
}

// TestAppendMessageMax: a message over the peer's maximum is not written.
func TestAppendMessageMax(t *testing.T) {
	m := &frame.Data{Data: make([]byte, 100)}
	got, err := frame.AppendMessage([]byte{1}, m, frame.Alpha, 100)
	var se *frame.SizeError
	if !errors.As(err, &se) || !errors.Is(err, frame.ErrTooLarge) || se.Size != 104 || se.Max != 100 || len(got) != 1 {
		t.Errorf("AppendMessage = % x, %v", got, err)
	}
	if got, err := frame.AppendMessage(nil, m, frame.Alpha, 104); err != nil || len(got) != 104 {
		t.Errorf("at max: %d bytes, %v", len(got), err)
	}
}

func TestErrorStrings(t *testing.T) {
	for _, err := range []error{
		&frame.SizeError{What: "CHANNEL_DATA data", Size: 10, Max: 5},
		&frame.FieldError{What: "CHANNEL_DATA", Field: "data", Err: io.ErrUnexpectedEOF},
		&frame.ValueError{What: "x", Reason: "y"},
		&frame.VersionError{Value: "v", Reason: "r"},
		frame.ErrTooLarge, frame.ErrNotChannel, frame.ErrDatagram, frame.ErrVersion,
	} {
		if !strings.HasPrefix(err.Error(), "frame: ") {
			t.Errorf("%q lacks the package prefix", err)
		}
	}
	if !errors.Is(&frame.SizeError{}, frame.ErrTooLarge) || errors.Is(&frame.ValueError{}, frame.ErrTooLarge) {
		t.Error("SizeError.Is")
	}
}
