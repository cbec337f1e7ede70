package h3

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/quic-go/quic-go/quicvarint"
)

// HTTP/3 frame types and settings this package parses on the peer's control
// stream (RFC 9114 §7.2, RFC 9220 §3, RFC 9297 §2.1.1).
const (
	frameData        = 0x00
	FrameHeaders     = 0x01
	frameCancelPush  = 0x03
	frameSettings    = 0x04
	framePushPromise = 0x05
	frameGoAway      = 0x07
	frameMaxPushID   = 0x0d
	settingConnect   = 0x08
	settingDatagram  = 0x33
	// SettingEarlyChannels=N (N ≥ 1) says the server holds up to N channels
	// per conversation that arrive before its CONNECT is answered
	// (spec/SPEC.md §2.2, §2.7, G17): a client may open that many at once.
	// "ssh3" in ASCII; not a GREASE value.
	SettingEarlyChannels = 0x73736833

	StreamTypeControl = 0x00

	// maxControlFrame bounds any frame on the control stream we buffer.
	maxControlFrame = 16 << 10
)

// HTTP/3 error codes a control stream can end with (RFC 9114 §8.1, RFC
// 9297 §2.1.1); conn names them.
const (
	codeClosedCriticalStream = 0x104
	codeFrameUnexpected      = 0x105
	codeFrameError           = 0x106
	codeExcessiveLoad        = 0x107
	codeSettingsError        = 0x109
	codeMissingSettings      = 0x10a
)

// Settings is what the peer's SETTINGS said. Under Option A (spec §8.7)
// conn, not http3, reads the peer's control stream, so http3's own
// "settings received" signal never fires; Control's does.
type Settings struct {
	ExtendedConnect bool
	Datagrams       bool
	EarlyChannels   uint64 // how many channels per conversation the server holds before its response (G17)
	Other           map[uint64]uint64
}

// Control is one connection's view of the peer's control stream.
type Control struct {
	once     sync.Once     // guards the single control stream
	received chan struct{} // closed when SETTINGS has been parsed
	goAway   chan struct{} // closed when a GOAWAY arrived
	goOnce   sync.Once
	settings Settings // written before received is closed
}

// NewControl is the view of a connection whose control stream has not
// arrived yet.
func NewControl() *Control {
	return &Control{received: make(chan struct{}), goAway: make(chan struct{})}
}

// Received is closed once the peer's SETTINGS have been parsed.
func (c *Control) Received() <-chan struct{} { return c.received }

// Settings is what the peer's SETTINGS said; valid once Received is closed.
func (c *Control) Settings() Settings { return c.settings }

// GoAway is closed when the peer sent GOAWAY (RFC 9114 §5.2).
func (c *Control) GoAway() <-chan struct{} { return c.goAway }

// Claim reports whether a stream is the first control stream of the
// connection.
func (c *Control) Claim() bool {
	first := false
	c.once.Do(func() { first = true })
	return first
}

// Error is a connection error found on the control stream: the HTTP/3
// code to close the connection with, and why.
type Error struct {
	Code uint64
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("h3: %#x: %s", e.Code, e.Msg) }

// Read parses the peer's control stream after its type byte until it
// ends. supportsDatagrams is the QUIC max_datagram_frame_size check. It
// returns the connection error to close with; a control stream never ends
// without one (RFC 9114 §6.2.1: H3_CLOSED_CRITICAL_STREAM).
func (c *Control) Read(r io.Reader, supportsDatagrams bool) *Error {
	br := bufio.NewReaderSize(r, 512)
	first := true
	for {
		typ, payload, err := readFrame(br)
		if err != nil {
			var se *Error
			if errors.As(err, &se) {
				return se
			}
			return &Error{codeClosedCriticalStream, "control stream ended"}
		}
		if first {
			if typ != frameSettings {
				return &Error{codeMissingSettings, "first frame is not SETTINGS"}
			}
			s, serr := parseSettings(payload, supportsDatagrams)
			if serr != nil {
				return serr
			}
			c.settings = s
			close(c.received)
			first = false
			continue
		}
		switch {
		case typ == frameData || typ == FrameHeaders || typ == frameSettings || typ == framePushPromise:
			return &Error{codeFrameUnexpected, "unexpected frame on the control stream"}
		case typ == 0x02 || typ == 0x06 || typ == 0x08 || typ == 0x09:
			// HTTP/2 frame types reserved by RFC 9114 §7.2.8.
			return &Error{codeFrameUnexpected, "reserved HTTP/2 frame type"}
		case typ == frameGoAway:
			if _, n, err := quicvarint.Parse(payload); err != nil || n != len(payload) {
				return &Error{codeFrameError, "malformed GOAWAY"}
			}
			c.goOnce.Do(func() { close(c.goAway) })
		}
		// CANCEL_PUSH, MAX_PUSH_ID, PRIORITY_UPDATE and unknown frames: ignored.
	}
}

// readFrame reads one frame; payloads over maxControlFrame are skipped for
// unknown types and refused for SETTINGS.
func readFrame(br *bufio.Reader) (uint64, []byte, error) {
	typ, err := quicvarint.Read(br)
	if err != nil {
		return 0, nil, err
	}
	length, err := quicvarint.Read(br)
	if err != nil {
		return 0, nil, io.ErrUnexpectedEOF
	}
	if length > maxControlFrame {
		if typ == frameSettings || typ == frameGoAway {
			return 0, nil, &Error{codeExcessiveLoad, "control frame too large"}
		}
		if _, err := io.CopyN(io.Discard, br, int64(length)); err != nil {
			return 0, nil, io.ErrUnexpectedEOF
		}
		return typ, nil, nil
	}
	payload := make([]byte, length)
	if _, err := io.ReadFull(br, payload); err != nil {
		return 0, nil, io.ErrUnexpectedEOF
	}
	return typ, payload, nil
}

// parseSettings applies the duties http3 would have had (§8.7): duplicate or
// reserved identifiers and bad boolean values are H3_SETTINGS_ERROR, and so
// is H3_DATAGRAM=1 without the QUIC datagram transport parameter.
func parseSettings(b []byte, supportsDatagrams bool) (Settings, *Error) {
	s := Settings{Other: map[uint64]uint64{}}
	seen := map[uint64]bool{}
	for len(b) > 0 {
		id, n, err := quicvarint.Parse(b)
		if err != nil {
			return s, &Error{codeFrameError, "truncated setting"}
		}
		b = b[n:]
		val, n, err := quicvarint.Parse(b)
		if err != nil {
			return s, &Error{codeFrameError, "truncated setting"}
		}
		b = b[n:]
		if seen[id] {
			return s, &Error{codeSettingsError, "duplicate setting"}
		}
		seen[id] = true
		switch id {
		case 0x00, 0x02, 0x03, 0x04, 0x05:
			return s, &Error{codeSettingsError, "reserved HTTP/2 setting"}
		case settingConnect, settingDatagram:
			if val > 1 {
				return s, &Error{codeSettingsError, "boolean setting above 1"}
			}
			if id == settingConnect {
				s.ExtendedConnect = val == 1
			} else {
				if val == 1 && !supportsDatagrams {
					return s, &Error{codeSettingsError, "H3_DATAGRAM without max_datagram_frame_size"}
				}
				s.Datagrams = val == 1
			}
		case SettingEarlyChannels:
			s.EarlyChannels = val
		default: // QPACK and field-section limits, GREASE, extensions
			s.Other[id] = val
		}
	}
	return s, nil
}
