package frame_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/ssh3-project/ssh3/frame"
)

// streams returns the stream shapes every Reader test runs against.
func streams(data []byte) map[string]io.Reader {
	return map[string]io.Reader{
		"bytes":    bytes.NewReader(data),
		"one-byte": iotest.OneByteReader(bytes.NewReader(data)),
		"half":     iotest.HalfReader(bytes.NewReader(data)),
		"data-err": iotest.DataErrReader(bytes.NewReader(data)),
		"chunks":   &chunkReader{data: bytes.Clone(data), sizes: []int{5, 1, 3, 17}},
	}
}

// TestReaderSession reads the live session of §3.6 both ways: the client's
// header and exec, the server's confirmation, DATA and exit-status.
func TestReaderSession(t *testing.T) {
	client := wireBytes(`c0000000af3627e6 00 07 73657373696f6e 80007530 | 4062 04 65786563 01 0a 6563686f2068656c6c6f`)
	server := wireBytes(`405b 80007530 | 405e 06 68656c6c6f0a | 4062 0b 657869742d737461747573 00 05`)
	for name, s := range streams(client) {
		r := frame.NewReader(s, nil, testMax)
		h, p, err := r.ReadHeader()
		if err != nil || p != frame.Alpha || h.Type != "session" {
			t.Fatalf("%s: header %+v %v %v", name, h, p, err)
		}
		m, err := r.ReadMessage()
		if err != nil || !cmp.Equal(m, frame.Message(&frame.Exec{WantReply: true, Command: "echo hello"})) {
			t.Errorf("%s: %#v %v", name, m, err)
		}
		if _, err := r.ReadMessage(); err != io.EOF {
			t.Errorf("%s: end %v", name, err)
		}
	}
	want := []frame.Message{
		&frame.OpenConfirmation{MaxMessageSize: 30000},
		&frame.Data{Data: []byte("hello\n")},
		&frame.ExitStatus{Status: 5},
	}
	for name, s := range streams(server) {
		r := frame.NewReader(s, frame.Alpha, testMax)
		for i, w := range want {
			m, err := r.ReadMessage()
			if err != nil || !cmp.Equal(w, m, cmpOpts...) {
				t.Errorf("%s: message %d = %#v, %v", name, i, m, err)
			}
		}
		if _, err := r.ReadMessage(); err != io.EOF {
			t.Errorf("%s: end %v", name, err)
		}
		if _, err := r.ReadMessage(); err != io.EOF {
			t.Errorf("%s: end is sticky: %v", name, err)
		}
	}
}

// TestReaderRaw: an rth3-00 direct-tcp channel carries raw bytes right
// after its header (G4); Read hands out what the Reader buffered, then the
// stream.
func TestReaderRaw(t *testing.T) {
	h := frame.ChannelHeader{Type: frame.ChannelDirectTCP, MaxMessageSize: 30000, Extra: ipAddr("127.0.0.1", 80)}
	b, _ := h.Append(nil, frame.RTH300)
	payload := bytes.Repeat([]byte("GET / HTTP/1.1\r\n"), 700)
	for name, s := range streams(append(b, payload...)) {
		r := frame.NewReader(s, nil, testMax)
		if _, p, err := r.ReadHeader(); err != nil || !p.RawTCP() {
			t.Fatalf("%s: %v %v", name, p, err)
		}
		if r.Buffered() > len(payload) {
			t.Errorf("%s: Buffered %d", name, r.Buffered())
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("%s: raw bytes: %d of %d, %v", name, len(got), len(payload), err)
		}
		if r.Buffered() != 0 {
			t.Errorf("%s: Buffered %d at the end", name, r.Buffered())
		}
	}
	// iotest.TestReader checks the io.Reader contract on the raw part.
	r := frame.NewReader(bytes.NewReader(append(b, payload...)), nil, testMax)
	if _, _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	if err := iotest.TestReader(r, payload); err != nil {
		t.Error(err)
	}
}

// TestReaderErrors: errors of the stream come through and stick; a stream
// that ends inside a message or header is a truncation.
func TestReaderErrors(t *testing.T) {
	boom := errors.New("boom")
	r := frame.NewReader(io.MultiReader(bytes.NewReader(wireBytes(`40 63 40`)), iotest.ErrReader(boom)), frame.Alpha, testMax)
	if m, err := r.ReadMessage(); err != nil || m.Type() != frame.MsgSuccess {
		t.Errorf("first message: %v %v", m, err)
	}
	for range 2 {
		if _, err := r.ReadMessage(); err != boom {
			t.Errorf("stream error: %v, want boom", err)
		}
	}
	// Read hands out the buffered byte first, then the error.
	if n, err := r.Read(make([]byte, 4)); n != 1 || err != nil {
		t.Errorf("Read of the buffered byte: %d, %v", n, err)
	}
	if _, err := r.Read(make([]byte, 4)); err != boom {
		t.Errorf("Read after a stream error: %v", err)
	}

	r = frame.NewReader(iotest.TimeoutReader(bytes.NewReader(wireBytes(`40 5e 06 "hel"`))), frame.Alpha, testMax)
	if _, err := r.ReadMessage(); err != iotest.ErrTimeout {
		t.Errorf("timeout: %v", err)
	}

	for _, in := range []string{`40 5e 06 "hel"`, `40`, `40 62 05 "shell"`} {
		_, err := frame.NewReader(bytes.NewReader(wireBytes(in)), frame.RTH300, testMax).ReadMessage()
		var fe *frame.FieldError
		if !errors.As(err, &fe) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: %v, want a truncation", in, err)
		}
	}
	_, _, err := frame.NewReader(bytes.NewReader(wireBytes(sigRTH+` 00 07 "sess"`)), nil, testMax).ReadHeader()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("header cut: %v", err)
	}
	_, _, err = frame.NewReader(bytes.NewReader(nil), nil, testMax).ReadHeader()
	if err != io.EOF {
		t.Errorf("empty stream: %v", err)
	}
	_, _, err = frame.NewReader(iotest.OneByteReader(bytes.NewReader(wireBytes(`01 40 50`))), nil, testMax).ReadHeader()
	if !errors.Is(err, frame.ErrNotChannel) {
		t.Errorf("HTTP/3 HEADERS frame: %v", err)
	}
}

// TestReaderSetLimits: the profile and maximum can change between reads
// (after the header, or once the peer's confirmation tells the size).
func TestReaderSetLimits(t *testing.T) {
	stream := wireBytes(`405b ffffffffffffffff 80007530 | 405e 40 64` + string(bytes.Repeat([]byte(" 00"), 100)))
	r := frame.NewReader(bytes.NewReader(stream), frame.RTH300, testMax)
	if r.Profile() != frame.RTH300 {
		t.Errorf("Profile = %v", r.Profile())
	}
	if m, err := r.ReadMessage(); err != nil || m.(*frame.OpenConfirmation).InitialWindow != frame.MaxWindow {
		t.Fatalf("%#v %v", m, err)
	}
	r.SetLimits(frame.RTH300, 50)
	if _, err := r.ReadMessage(); !errors.Is(err, frame.ErrTooLarge) {
		t.Errorf("over the new max: %v", err)
	}
	r = frame.NewReader(bytes.NewReader(stream), nil, testMax)
	r.SetLimits(frame.Alpha, testMax)
	if r.Profile() != frame.Alpha {
		t.Errorf("SetLimits did not set the profile")
	}
	// Alpha reads the rth3-00 confirmation as 91 + max 2^62-1, then
	// garbage: the profiles must agree (G2).
	if m, err := r.ReadMessage(); err != nil || m.(*frame.OpenConfirmation).MaxMessageSize != 1<<62-1 {
		t.Errorf("%#v %v", m, err)
	}
}

// TestReaderLargeMessage: a message at the maximum is read whole, over a
// stream that delivers it slowly.
func TestReaderLargeMessage(t *testing.T) {
	const max = 1 << 20
	m := &frame.Data{Data: bytes.Repeat([]byte{0x5a}, frame.MaxDataPayload(max))}
	b, err := frame.AppendMessage(nil, m, frame.Alpha, max)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != max {
		t.Fatalf("message of %d bytes, want %d", len(b), max)
	}
	for name, s := range streams(append(b, 0x40, 0x63)) {
		r := frame.NewReader(s, frame.Alpha, max)
		got, err := r.ReadMessage()
		if err != nil || !bytes.Equal(got.(*frame.Data).Data, m.Data) {
			t.Errorf("%s: %v", name, err)
		}
		if next, err := r.ReadMessage(); err != nil || next.Type() != frame.MsgSuccess {
			t.Errorf("%s: next %v %v", name, next, err)
		}
	}
	// A peer that trickles a message byte by byte costs linear work: the
	// buffer doubles, it is not copied on every read (it was, and this
	// test took minutes).
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := frame.NewReader(iotest.OneByteReader(bytes.NewReader(b)), frame.Alpha, max)
	if _, err := r.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	// Each arrival re-parses the message head and allocates its error
	// (about 200 bytes); copying the buffer each time would be n²/2.
	if a := after.TotalAlloc - before.TotalAlloc; a > 512*max {
		t.Errorf("reading a %d-byte message one byte at a time allocated %d bytes", max, a)
	}
}

// TestReaderOversize: the reference sends full data chunks over the
// announced maximum by its length field's width less one (30,003 of 30,000,
// seen live); a ssh3-alpha reader limited to Alpha.AcceptedSize takes them,
// a strict one refuses them naming the message's real size, not what it had
// buffered.
func TestReaderOversize(t *testing.T) {
	const max = 30000
	if got := frame.Alpha.AcceptedSize(max); got != max+3 {
		t.Errorf("Alpha.AcceptedSize(%d) = %d, want %d", max, got, max+3)
	}
	if got := frame.RTH300.AcceptedSize(max); got != max {
		t.Errorf("RTH300.AcceptedSize(%d) = %d, want %d", max, got, max)
	}
	// 405e (type 94), 80 00 75 2d (length 29997), the payload: 30,003 bytes,
	// as the reference cuts them (30000 less a 1-byte length and the type).
	chunk := append(wireBytes(`405e 8000752d`), bytes.Repeat([]byte{'x'}, 29997)...)
	if len(chunk) != max+3 {
		t.Fatalf("chunk is %d bytes", len(chunk))
	}
	stream := append(bytes.Clone(chunk), wireBytes(`4062 0b 657869742d737461747573 00 03`)...)
	for name, s := range streams(stream) {
		r := frame.NewReader(s, frame.Alpha, frame.Alpha.AcceptedSize(max))
		m, err := r.ReadMessage()
		if err != nil || len(m.(*frame.Data).Data) != 29997 {
			t.Fatalf("%s: %v", name, err)
		}
		if m, err := r.ReadMessage(); err != nil || !cmp.Equal(m, frame.Message(&frame.ExitStatus{Status: 3})) {
			t.Errorf("%s: after the chunk: %#v %v", name, m, err)
		}
	}
	big := func(n int) string { return string(bytes.Repeat([]byte{'y'}, n)) }
	for _, tc := range []struct {
		name string
		m    frame.Message
		want string
	}{
		{"one over", &frame.Data{Data: []byte(big(29995))}, "frame: CHANNEL_DATA is 30001 bytes, over the maximum of 30000"},
		{"a length field over", &frame.Data{Data: []byte(big(29999))}, "frame: CHANNEL_DATA is 30005 bytes, over the maximum of 30000"},
		{"a field over", &frame.Data{Data: []byte(big(40000))}, "frame: CHANNEL_DATA data is 40000 bytes, over the maximum of 30000"},
		{"fields within, sum over", &frame.ExitSignal{Signal: "KILL", ErrorMessage: big(20000), Language: big(20000)},
			"frame: message is more than 30032 bytes, over the maximum of 30000"},
	} {
		b, err := tc.m.Append(nil, frame.Alpha)
		if err != nil {
			t.Fatal(err)
		}
		for name, s := range streams(b) {
			_, err := frame.NewReader(s, frame.Alpha, max).ReadMessage()
			var se *frame.SizeError
			if !errors.As(err, &se) || err.Error() != tc.want {
				t.Errorf("%s, %s: %v, want %q", tc.name, name, err, tc.want)
			}
		}
	}
}
