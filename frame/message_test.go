package frame_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/frame"
)

// msgCase is one message and its exact bytes. A nil profile means the bytes
// are the same in both profiles.
type msgCase struct {
	name string
	p    *frame.Profile
	m    frame.Message
	wire string // protocol-notes notation (see wireBytes)
}

// messageCases are the messages 91–100 of §3.5, with the hex examples of
// the protocol notes and the G2 confirmation of rth3-00.
func messageCases() []msgCase {
	return []msgCase{
		{"confirmation/alpha", frame.Alpha, &frame.OpenConfirmation{MaxMessageSize: 30000},
			`40 5b 80 00 75 30`},
		{"confirmation/alpha-small", frame.Alpha, &frame.OpenConfirmation{MaxMessageSize: 256},
			`40 5b 41 00`},
		{"confirmation/rth3-G2", frame.RTH300, frame.NewOpenConfirmation(30000),
			`40 5b ff ff ff ff ff ff ff ff 80 00 75 30`},
		{"confirmation/rth3-window-0", frame.RTH300, &frame.OpenConfirmation{InitialWindow: 0, MaxMessageSize: 63},
			`40 5b 00 3f`},
		{"open-failure/unknown-type", nil, &frame.OpenFailure{Reason: frame.ReasonUnknownChannelType, Description: "unknown channel type"},
			`40 5c 03 14 "unknown channel type" 00`},
		{"open-failure/not-permitted", nil, &frame.OpenFailure{Reason: frame.ReasonConnectFailed, Description: "not permitted."},
			`40 5c 02 0e "not permitted." 00`},
		{"open-failure/language", nil, &frame.OpenFailure{Reason: frame.ReasonAdministrativelyProhibited, Description: "", Language: "en"},
			`40 5c 01 00 02 "en"`},
		{"open-failure/utf8", nil, &frame.OpenFailure{Reason: frame.ReasonResourceShortage, Description: "plein à craquer", Language: "fr"},
			`40 5c 04 10 "plein " c3 a0 " craquer" 02 "fr"`},
		{"window-adjust/0", nil, &frame.WindowAdjust{}, `40 5d 00`},
		{"window-adjust/1024", nil, &frame.WindowAdjust{Bytes: 1024}, `40 5d 44 00`},
		{"data/hello", nil, &frame.Data{Data: []byte("hello\n")}, `40 5e 06 "hello\n"`},
		{"data/empty", nil, &frame.Data{}, `40 5e 00`},
		{"data/80-bytes", nil, &frame.Data{Data: bytes.Repeat([]byte{'x'}, 80)},
			`40 5e 40 50 ` + strings.Repeat("78", 80)},
		{"data/forward-agent", nil, frame.ForwardAgent(), `40 5e 0d "forward-agent"`},
		{"extended-data/stderr", nil, &frame.ExtendedData{DataType: frame.ExtendedDataStderr, Data: []byte("oops\n")},
			`40 5f 01 05 "oops\n"`},
		{"extended-data/empty-type-64", nil, &frame.ExtendedData{DataType: 64}, `40 5f 40 40 00`},
		{"eof", nil, &frame.EOF{}, `40 60`},
		{"close", nil, &frame.Close{}, `40 61`},
		{"success", nil, &frame.Success{}, `40 63`},
		{"failure", nil, &frame.Failure{}, `40 64`},
	}
}

// requestCases are the channel requests of §3.6 and of the G5/G6 designs.
func requestCases() []msgCase {
	modes := frame.TerminalModes{{Opcode: 1, Arg: 3}, {Opcode: 53, Arg: 1}}.Append(nil)
	return []msgCase{
		{"pty-req/notes", nil, &frame.PtyReq{WantReply: true, Term: "xterm", Columns: 80, Rows: 24},
			`40 62 07 "pty-req" 01 05 "xterm" 40 50 18 00 00 00`},
		{"pty-req/modes", nil, &frame.PtyReq{Term: "vt100", Columns: 100, Rows: 30, WidthPx: 640, HeightPx: 480, Modes: modes},
			`40 62 07 "pty-req" 00 05 "vt100" 40 64 1e 42 80 41 e0 0b 01 00 00 00 03 35 00 00 00 01 00`},
		{"x11-req", nil, &frame.X11Req{WantReply: true, SingleConnection: true, AuthProtocol: "MIT-MAGIC-COOKIE-1", AuthCookie: "0123abcd", Screen: 1},
			`40 62 07 "x11-req" 01 01 12 "MIT-MAGIC-COOKIE-1" 08 "0123abcd" 01`},
		{"shell", nil, &frame.Shell{WantReply: true}, `40 62 05 "shell" 01`},
		{"exec", nil, &frame.Exec{WantReply: true, Command: "echo hello"},
			`40 62 04 65 78 65 63 01 0a 65 63 68 6f 20 68 65 6c 6c 6f`},
		{"exec/empty", nil, &frame.Exec{}, `40 62 04 "exec" 00 00`},
		{"subsystem", nil, &frame.Subsystem{WantReply: true, Subsystem: "sftp"}, `40 62 09 "subsystem" 01 04 "sftp"`},
		{"env", nil, &frame.Env{WantReply: true, Variable: "LANG", Value: "C.UTF-8"},
			`40 62 03 "env" 01 04 "LANG" 07 "C.UTF-8"`},
		{"window-change", nil, &frame.WindowChange{Columns: 120, Rows: 40},
			`40 62 0d "window-change" 00 40 78 28 00 00`},
		{"xon-xoff", nil, &frame.XonXoff{ClientCanDo: true}, `40 62 08 "xon-xoff" 00 01`},
		{"signal", nil, &frame.Signal{Signal: "INT"}, `40 62 06 "signal" 00 03 "INT"`},
		{"exit-status/5", nil, &frame.ExitStatus{Status: 5},
			`40 62 0b 65 78 69 74 2d 73 74 61 74 75 73 00 05`},
		{"exit-status/255", nil, &frame.ExitStatus{Status: 255}, `40 62 0b "exit-status" 00 40 ff`},
		{"exit-status/max", nil, &frame.ExitStatus{Status: 1<<62 - 1},
			`40 62 0b "exit-status" 00 ff ff ff ff ff ff ff ff`},
		{"exit-signal/kill", nil, &frame.ExitSignal{Signal: "KILL"},
			`40 62 0b "exit-signal" 00 04 "KILL" 00 00 00`},
		{"exit-signal/segv", nil, &frame.ExitSignal{Signal: "SEGV", CoreDumped: true, ErrorMessage: "Segmentation fault", Language: "en"},
			`40 62 0b "exit-signal" 00 04 "SEGV" 01 12 "Segmentation fault" 02 "en"`},
		{"auth-agent-req", nil, &frame.AuthAgent{WantReply: true},
			`40 62 1a "auth-agent-req@openssh.com" 01`},
		{"agent-incoming", nil, &frame.AgentIncoming{Connection: 7}, `40 62 0e "agent-incoming" 00 07`},
		{"reverse-bound", nil, &frame.ReverseBound{Port: 2222}, `40 62 0d "reverse-bound" 00 48 ae`},
		{"reverse-incoming/ipv4", nil, &frame.ReverseIncoming{Connection: 3,
			Originator: frame.Address{Family: frame.FamilyIPv4, IP: addr("192.168.1.2"), Port: 54321}},
			`40 62 10 "reverse-incoming" 00 03 04 c0 a8 01 02 d4 31`},
		{"reverse-incoming/ipv6", nil, &frame.ReverseIncoming{Connection: 64,
			Originator: frame.Address{Family: frame.FamilyIPv6, IP: addr("2001:db8::1"), Port: 22}},
			`40 62 10 "reverse-incoming" 00 40 40 06 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 00 16`},
		{"unknown-request", nil, &frame.UnknownRequest{RequestName: "x-probe@example.org", WantReply: true},
			`40 62 13 "x-probe@example.org" 01`},
	}
}

func runCases(t *testing.T, cases []msgCase) {
	for _, c := range cases {
		for _, p := range profiles(c.p) {
			t.Run(c.name+"/"+p.Name(), func(t *testing.T) {
				checkMessage(t, p, c.m, wireBytes(c.wire))
			})
		}
	}
}

func TestMessages(t *testing.T) { runCases(t, messageCases()) }
func TestRequests(t *testing.T) { runCases(t, requestCases()) }

// TestUnknownMessage: a number this package does not know decodes to
// *UnknownMessage and takes only the number (gap N1).
func TestUnknownMessage(t *testing.T) {
	both(t, func(t *testing.T, p *frame.Profile) {
		checkMessage(t, p, &frame.UnknownMessage{MsgType: 0x3fff}, wireBytes(`7f ff`))
		checkMessage(t, p, &frame.UnknownMessage{MsgType: 80}, wireBytes(`40 50`))
		checkMessage(t, p, &frame.UnknownMessage{MsgType: 1}, wireBytes(`01`))

		m, n, err := frame.ParseMessage(wireBytes(`7f ff 01 02 03`), p, testMax)
		if err != nil || n != 2 {
			t.Fatalf("ParseMessage = %v, %d, %v", m, n, err)
		}
		if u, ok := m.(*frame.UnknownMessage); !ok || u.MsgType != 0x3fff || u.Type().Known() {
			t.Errorf("decoded %#v", m)
		}
		// Over max like any message, though only its number is taken.
		if _, _, err := frame.ParseMessage(wireBytes(`7f ff`), p, 1); !errors.Is(err, frame.ErrTooLarge) {
			t.Errorf("2-byte unknown message with max 1: %v, want ErrTooLarge", err)
		}
		if s := frame.MsgType(0x3fff).String(); s != "UNKNOWN_MESSAGE(16383)" {
			t.Errorf("String = %q", s)
		}
	})
}

// TestReaderContinuesAfterUnknown: unknown numbers and request names with
// no fields do not stop the stream: the next message decodes.
func TestReaderContinuesAfterUnknown(t *testing.T) {
	both(t, func(t *testing.T, p *frame.Profile) {
		stream := wireBytes(`7f ff | 40 62 13 "x-probe@example.org" 00 | 40 5e 02 "hi" | 40 50 | 40 62 05 "shell" 01`)
		r := frame.NewReader(oneByteStream(stream), p, testMax)
		want := []frame.Message{
			&frame.UnknownMessage{MsgType: 0x3fff},
			&frame.UnknownRequest{RequestName: "x-probe@example.org"},
			&frame.Data{Data: []byte("hi")},
			&frame.UnknownMessage{MsgType: 80},
			&frame.Shell{WantReply: true},
		}
		for i, w := range want {
			m, err := r.ReadMessage()
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			if !msgEqual(w, m) {
				t.Errorf("message %d = %#v, want %#v", i, m, w)
			}
		}
		if _, err := r.ReadMessage(); err != io.EOF {
			t.Errorf("end: %v", err)
		}
	})
}

// TestUnknownRequest: an unknown name decodes to *UnknownRequest with the
// name and want-reply, taking nothing after them.
func TestUnknownRequest(t *testing.T) {
	both(t, func(t *testing.T, p *frame.Profile) {
		for _, want := range []bool{false, true} {
			in := wireBytes(`40 62 13 "x-probe@example.org"`)
			if want {
				in = append(in, 1)
			} else {
				in = append(in, 0)
			}
			m, n, err := frame.ParseMessage(append(in, 0x42), p, testMax)
			if err != nil || n != len(in) {
				t.Fatalf("ParseMessage = %v, %d, %v", m, n, err)
			}
			r, ok := m.(*frame.UnknownRequest)
			if !ok || r.Name() != "x-probe@example.org" || r.Reply() != want {
				t.Errorf("decoded %#v", m)
			}
			if frame.KnownRequest(r.Name()) {
				t.Errorf("KnownRequest(%q) = true", r.Name())
			}
		}
		for _, name := range []string{frame.ReqPtyReq, frame.ReqX11Req, frame.ReqShell, frame.ReqExec,
			frame.ReqSubsystem, frame.ReqEnv, frame.ReqWindowChange, frame.ReqXonXoff, frame.ReqSignal,
			frame.ReqExitStatus, frame.ReqExitSignal, frame.ReqAuthAgent, frame.ReqAgentIncoming,
			frame.ReqReverseBound, frame.ReqReverseIncoming} {
			if !frame.KnownRequest(name) {
				t.Errorf("KnownRequest(%q) = false", name)
			}
		}
	})
}

// TestRequestInterface: every request reports its name and want-reply.
func TestRequestInterface(t *testing.T) {
	for _, c := range requestCases() {
		r, ok := c.m.(frame.Request)
		if !ok {
			t.Fatalf("%s: %T is not a Request", c.name, c.m)
		}
		b := wireBytes(c.wire)
		// name length is the byte after 40 62 (every name here is < 64 bytes)
		name := string(b[3 : 3+int(b[2])])
		if r.Name() != name {
			t.Errorf("%s: Name = %q, want %q", c.name, r.Name(), name)
		}
		if r.Reply() != (b[3+int(b[2])] == 1) {
			t.Errorf("%s: Reply = %v", c.name, r.Reply())
		}
		if r.Type() != frame.MsgRequest {
			t.Errorf("%s: Type = %v", c.name, r.Type())
		}
	}
}

// TestOpenConfirmationAlphaIgnoresWindow: ssh3-alpha neither writes nor
// reads the initial window, so the confirmation this project sends is the
// reference's bytes there.
func TestOpenConfirmationAlphaIgnoresWindow(t *testing.T) {
	m := frame.NewOpenConfirmation(30000)
	got, err := m.Append(nil, frame.Alpha)
	if err != nil || !bytes.Equal(got, wireBytes(`40 5b 80 00 75 30`)) || m.Len(frame.Alpha) != 6 {
		t.Errorf("Append = % x, %v; Len %d", got, err, m.Len(frame.Alpha))
	}
	dec, _, err := frame.ParseMessage(got, frame.Alpha, testMax)
	if err != nil || dec.(*frame.OpenConfirmation).InitialWindow != 0 {
		t.Errorf("decoded %#v, %v", dec, err)
	}
	// The alpha bytes are too short for rth3-00, and the rth3-00 bytes
	// decode in alpha as a confirmation followed by something else.
	if _, _, err := frame.ParseMessage(wireBytes(`40 5b 80 00 75 30`), frame.RTH300, testMax); err == nil {
		t.Errorf("alpha confirmation decoded in rth3-00")
	}
}

func TestForwardAgent(t *testing.T) {
	if !frame.IsForwardAgent(frame.ForwardAgent()) {
		t.Error("IsForwardAgent(ForwardAgent()) = false")
	}
	for _, m := range []frame.Message{&frame.Data{Data: []byte("forward-agent\n")}, &frame.ExtendedData{Data: []byte("forward-agent")}, &frame.Shell{}} {
		if frame.IsForwardAgent(m) {
			t.Errorf("IsForwardAgent(%#v) = true", m)
		}
	}
}

func TestMsgTypeNames(t *testing.T) {
	want := map[frame.MsgType]string{91: "CHANNEL_OPEN_CONFIRMATION", 92: "CHANNEL_OPEN_FAILURE",
		93: "CHANNEL_WINDOW_ADJUST", 94: "CHANNEL_DATA", 95: "CHANNEL_EXTENDED_DATA", 96: "CHANNEL_EOF",
		97: "CHANNEL_CLOSE", 98: "CHANNEL_REQUEST", 99: "CHANNEL_SUCCESS", 100: "CHANNEL_FAILURE"}
	for ty, name := range want {
		if ty.String() != name || !ty.Known() {
			t.Errorf("%d: %q, known %v", uint64(ty), ty.String(), ty.Known())
		}
	}
	if frame.MsgType(90).Known() || frame.MsgType(101).Known() {
		t.Error("90 or 101 known")
	}
}

// TestMaxDataPayload: the payload MaxDataPayload gives fills a message of
// exactly max bytes or just under, never more.
func TestMaxDataPayload(t *testing.T) {
	for _, max := range []uint64{0, 1, 2, 3, 4, 66, 67, 68, 69, 256, 16386, 16387, 16388, 30000, 1 << 20} {
		n := frame.MaxDataPayload(max)
		m := &frame.Data{Data: make([]byte, n)}
		if l := m.Len(frame.Alpha); uint64(l) > max && n > 0 {
			t.Errorf("max %d: payload %d makes %d bytes", max, n, l)
		}
		if n > 0 {
			bigger := &frame.Data{Data: make([]byte, n+1)}
			if uint64(bigger.Len(frame.Alpha)) <= max {
				t.Errorf("max %d: payload %d is not the largest (%d fits)", max, n, n+1)
			}
		}
		if max >= 30000 && uint64(n+frame.DataOverhead) < max {
			t.Errorf("max %d: payload %d + overhead %d under max", max, n, frame.DataOverhead)
		}
	}
}

// msgEqual compares messages as the round trips do.
func msgEqual(a, b frame.Message) bool {
	var x, y []byte
	x, errA := a.Append(nil, frame.RTH300)
	y, errB := b.Append(nil, frame.RTH300)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}
