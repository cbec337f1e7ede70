package conformance

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quic-go/qpack"
	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/qlog"

	"github.com/ssh3-project/ssh3/wire"
)

// HTTP/3 frame types and settings the suite writes and reads itself
// (RFC 9114 §7.2, RFC 9220, RFC 9297).
const (
	h3FrameData     = 0x00
	h3FrameHeaders  = 0x01
	h3FrameSettings = 0x04
	h3FrameGoAway   = 0x07

	settingMaxFieldSection = 0x06
	settingConnectProtocol = 0x08
	settingH3Datagram      = 0x33

	streamTypeControl = 0x00
)

// maxResponseFrame bounds any frame the suite buffers from a peer.
const maxResponseFrame = 1 << 16

// Setting is one HTTP/3 setting in the order it is sent.
type Setting struct{ ID, Value uint64 }

// AppendSettingsFrame appends a SETTINGS frame holding s in order; it is
// how the suite builds both valid and invalid SETTINGS.
func AppendSettingsFrame(b []byte, s []Setting) []byte {
	var body []byte
	for _, e := range s {
		body = wire.AppendVarint(body, e.ID)
		body = wire.AppendVarint(body, e.Value)
	}
	b = wire.AppendVarint(b, h3FrameSettings)
	b = wire.AppendVarint(b, uint64(len(body)))
	return append(b, body...)
}

// ParseSettingsPayload decodes the payload of a SETTINGS frame.
func ParseSettingsPayload(b []byte) ([]Setting, error) {
	var out []Setting
	for len(b) > 0 {
		id, n, err := wire.ParseVarint(b)
		if err != nil {
			return nil, err
		}
		v, m, err := wire.ParseVarint(b[n:])
		if err != nil {
			return nil, err
		}
		out = append(out, Setting{id, v})
		b = b[n+m:]
	}
	return out, nil
}

// Field is one header field; requests keep their order so that malformed
// ones (a missing or duplicated pseudo-header) can be built on purpose.
type Field struct{ Name, Value string }

// EncodeHeaders QPACK-encodes fields (static table and literals only) and
// wraps them in a HEADERS frame.
func EncodeHeaders(fields []Field) []byte {
	var blk bytes.Buffer
	enc := qpack.NewEncoder(&blk)
	for _, f := range fields {
		_ = enc.WriteField(qpack.HeaderField{Name: f.Name, Value: f.Value})
	}
	_ = enc.Close()
	b := wire.AppendVarint(nil, h3FrameHeaders)
	b = wire.AppendVarint(b, uint64(blk.Len()))
	return append(b, blk.Bytes()...)
}

// readFrame reads one HTTP/3 frame, refusing one over maxResponseFrame.
func readFrame(r io.Reader) (typ uint64, payload []byte, err error) {
	br := byteReader{r}
	typ, err = wire.ReadVarint(br)
	if err != nil {
		return 0, nil, err
	}
	n, err := wire.ReadVarint(br)
	if err != nil {
		return 0, nil, unexpected(err)
	}
	if n > maxResponseFrame {
		return 0, nil, fmt.Errorf("frame type %#x of %d bytes is over the suite's bound", typ, n)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, unexpected(err)
	}
	return typ, payload, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// byteReader reads one byte at a time from a stream (frames are short).
type byteReader struct{ r io.Reader }

func (b byteReader) ReadByte() (byte, error) {
	var one [1]byte
	if _, err := io.ReadFull(b.r, one[:]); err != nil {
		return 0, err
	}
	return one[0], nil
}

// Response is a peer's answer to a request: status, header fields (names
// lower case), and body (up to maxResponseFrame bytes).
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// BodyOpen is set when the body ended without a FIN: the peer sent
	// its Content-Length's worth, or went quiet for bodyGrace (the
	// original's hijacked streams never end a refusal's stream).
	BodyOpen bool
}

// bodyGrace is how long a refusal's body may pause without a FIN before the
// suite takes what it has: the answer is the status, and a peer that keeps
// the stream open must not eat the check's time (each later case of the
// check would otherwise start after the deadline).
const bodyGrace = 2 * time.Second

// HeaderNames is the sorted, comma-joined set of header names.
func (r *Response) HeaderNames() string {
	var names []string
	for k := range r.Header {
		names = append(names, strings.ToLower(k))
	}
	sortStrings(names)
	return strings.Join(names, ",")
}

func decodeFields(block []byte) ([]Field, error) {
	dec := qpack.NewDecoder().Decode(block)
	var out []Field
	for {
		hf, err := dec()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Field{hf.Name, hf.Value})
	}
}

// DialConfig says how the suite dials: the ALPN it offers, the SETTINGS it
// sends, and whether QUIC datagrams are enabled.
type DialConfig struct {
	ALPN            []string  // nil: h3
	Settings        []Setting // nil: 0x33=1
	RawControl      []byte    // if set, written on the control stream instead of the type and SETTINGS
	NoControl       bool      // send no control stream at all
	NoDatagrams     bool      // do not offer the QUIC datagram transport parameter
	IdleTimeout     time.Duration
	AllowServerBidi bool // accept server-opened bidi streams (alpha agent channels)
	PacketConn      net.PacketConn
}

// H3Conn is the suite's raw HTTP/3 client connection: the QUIC connection,
// the peer's parsed SETTINGS, the datagrams received, and a record of
// server-opened bidi streams.
type H3Conn struct {
	QUIC    *quic.Conn
	Control *quic.SendStream

	settingsOnce sync.Once
	settingsDone chan struct{}
	settings     []Setting
	settingsErr  error

	mu         sync.Mutex // guards serverBidi
	serverBidi int

	Datagrams chan []byte // capped; excess dropped
}

// DialH3 opens a QUIC connection offering h3 to addr and sets up the HTTP/3
// control stream per cfg.
func DialH3(ctx context.Context, addr string, tlsConf *tls.Config, cfg DialConfig) (*H3Conn, error) {
	tc := tlsConf.Clone()
	tc.NextProtos = cfg.ALPN
	if tc.NextProtos == nil {
		tc.NextProtos = []string{"h3"}
	}
	idle := cfg.IdleTimeout
	if idle == 0 {
		idle = 15 * time.Second
	}
	qcfg := &quic.Config{
		EnableDatagrams:    !cfg.NoDatagrams,
		MaxIdleTimeout:     idle,
		KeepAlivePeriod:    idle / 3,
		MaxIncomingStreams: -1,
		Tracer:             qlog.DefaultConnectionTracer, // nil trace unless QLOGDIR is set
	}
	if cfg.AllowServerBidi {
		qcfg.MaxIncomingStreams = 10
	}
	var qc *quic.Conn
	var err error
	if cfg.PacketConn != nil {
		ua, rerr := net.ResolveUDPAddr("udp", addr)
		if rerr != nil {
			return nil, rerr
		}
		qc, err = quic.Dial(ctx, cfg.PacketConn, ua, tc, qcfg)
	} else {
		qc, err = quic.DialAddr(ctx, addr, tc, qcfg)
	}
	if err != nil {
		return nil, err
	}
	c := &H3Conn{QUIC: qc, settingsDone: make(chan struct{}), Datagrams: make(chan []byte, 256)}
	if !cfg.NoControl {
		st, err := qc.OpenUniStream()
		if err != nil {
			qc.CloseWithError(0x100, "")
			return nil, err
		}
		c.Control = st
		b := cfg.RawControl
		if b == nil {
			b = wire.AppendVarint(nil, streamTypeControl)
			s := cfg.Settings
			if s == nil {
				s = []Setting{{settingH3Datagram, 1}}
			}
			b = AppendSettingsFrame(b, s)
		}
		if _, err := st.Write(b); err != nil {
			qc.CloseWithError(0x100, "")
			return nil, err
		}
	}
	go c.acceptUni()
	go c.acceptBidi()
	if !cfg.NoDatagrams {
		go c.readDatagrams()
	}
	return c, nil
}

func (c *H3Conn) acceptUni() {
	for {
		st, err := c.QUIC.AcceptUniStream(context.Background())
		if err != nil {
			c.setSettings(nil, fmt.Errorf("connection ended before SETTINGS: %w", err))
			return
		}
		go func() {
			typ, err := wire.ReadVarint(byteReader{st})
			if err != nil {
				return
			}
			if typ != streamTypeControl {
				_, _ = io.Copy(io.Discard, st)
				return
			}
			ft, payload, err := readFrame(st)
			if err != nil {
				c.setSettings(nil, fmt.Errorf("control stream: %w", err))
				return
			}
			if ft != h3FrameSettings {
				c.setSettings(nil, fmt.Errorf("first control frame is %#x, not SETTINGS", ft))
				return
			}
			s, err := ParseSettingsPayload(payload)
			c.setSettings(s, err)
			_, _ = io.Copy(io.Discard, st)
		}()
	}
}

func (c *H3Conn) setSettings(s []Setting, err error) {
	c.settingsOnce.Do(func() {
		c.settings, c.settingsErr = s, err
		close(c.settingsDone)
	})
}

// PeerSettings waits for the peer's SETTINGS.
func (c *H3Conn) PeerSettings(ctx context.Context) ([]Setting, error) {
	select {
	case <-c.settingsDone:
		return c.settings, c.settingsErr
	case <-ctx.Done():
		return nil, fmt.Errorf("no SETTINGS from the peer: %w", ctx.Err())
	}
}

func (c *H3Conn) acceptBidi() {
	for {
		st, err := c.QUIC.AcceptStream(context.Background())
		if err != nil {
			return
		}
		c.mu.Lock()
		c.serverBidi++
		c.mu.Unlock()
		st.CancelRead(0x10b)
		st.CancelWrite(0x10b)
	}
}

// ServerBidi is the number of bidi streams the server opened.
func (c *H3Conn) ServerBidi() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.serverBidi
}

func (c *H3Conn) readDatagrams() {
	for {
		b, err := c.QUIC.ReceiveDatagram(context.Background())
		if err != nil {
			return
		}
		select {
		case c.Datagrams <- b:
		default:
		}
	}
}

// Close closes the connection with H3_NO_ERROR.
func (c *H3Conn) Close() { _ = c.QUIC.CloseWithError(0x100, "") }

// Alive reports whether the connection is still open, and if not, how it
// ended.
func (c *H3Conn) Alive() (bool, error) {
	select {
	case <-c.QUIC.Context().Done():
		return false, context.Cause(c.QUIC.Context())
	default:
		return true, nil
	}
}

// WaitClosed waits for the connection to end and returns the cause.
func (c *H3Conn) WaitClosed(ctx context.Context) (error, bool) {
	select {
	case <-c.QUIC.Context().Done():
		return context.Cause(c.QUIC.Context()), true
	case <-ctx.Done():
		return nil, false
	}
}

// ReqStream is a request stream of the raw client.
type ReqStream struct {
	*quic.Stream
}

// ID is the stream ID (the conversation ID of a CONNECT).
func (r *ReqStream) ID() uint64 { return uint64(r.StreamID()) }

// Request opens a bidi stream and writes fields as one HEADERS frame, then
// FIN if fin.
func (c *H3Conn) Request(ctx context.Context, fields []Field, fin bool) (*ReqStream, error) {
	st, err := c.QUIC.OpenStreamSync(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := st.Write(EncodeHeaders(fields)); err != nil {
		return nil, err
	}
	if fin {
		_ = st.Close()
	}
	return &ReqStream{st}, nil
}

// ReadResponse reads the response HEADERS (skipping unknown frames and
// interim responses) and, for a status other than 2xx, the body until FIN.
func (r *ReqStream) ReadResponse(ctx context.Context) (*Response, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = r.SetReadDeadline(dl)
		defer r.SetReadDeadline(time.Time{})
	}
	for {
		typ, payload, err := readFrame(r.Stream)
		if err != nil {
			return nil, err
		}
		if typ != h3FrameHeaders {
			if typ == h3FrameData {
				return nil, errors.New("DATA before the response HEADERS")
			}
			continue
		}
		fields, err := decodeFields(payload)
		if err != nil {
			return nil, fmt.Errorf("response HEADERS: %w", err)
		}
		resp := &Response{Header: http.Header{}}
		for _, f := range fields {
			if f.Name == ":status" {
				resp.Status, _ = strconv.Atoi(f.Value)
				continue
			}
			resp.Header.Add(f.Name, f.Value)
		}
		if resp.Status >= 100 && resp.Status < 200 {
			continue
		}
		if resp.Status < 200 || resp.Status >= 300 {
			resp.Body, resp.BodyOpen = r.readBody(ctx, contentLength(resp.Header))
		}
		return resp, nil
	}
}

// readBody reads DATA frames until FIN, until want bytes (want ≥ 0, from
// Content-Length), or until the peer pauses for bodyGrace; open reports that
// no FIN was seen. ReadResponse clears the read deadline it leaves.
func (r *ReqStream) readBody(ctx context.Context, want int) (body []byte, open bool) {
	for len(body) < maxResponseFrame && (want < 0 || len(body) < want) {
		dl := time.Now().Add(bodyGrace)
		if cd, ok := ctx.Deadline(); ok && cd.Before(dl) {
			dl = cd
		}
		_ = r.SetReadDeadline(dl)
		typ, payload, err := readFrame(r.Stream)
		if err == io.EOF {
			return body, false
		}
		if err != nil {
			return body, true
		}
		if typ == h3FrameData {
			body = append(body, payload...)
		}
	}
	return body, true
}

// contentLength is the header's Content-Length, or -1.
func contentLength(h http.Header) int {
	n, err := strconv.Atoi(h.Get("content-length"))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// Describe renders an error the way reports show it: a stream reset or a
// connection close with its HTTP/3 code name, a timeout, or the text.
func Describe(err error) string {
	if err == nil {
		return "no error"
	}
	var se *quic.StreamError
	if errors.As(err, &se) {
		who := "peer"
		if !se.Remote {
			who = "suite"
		}
		return fmt.Sprintf("stream reset by %s with %s", who, CodeName(uint64(se.ErrorCode)))
	}
	var ae *quic.ApplicationError
	if errors.As(err, &ae) {
		who := "peer"
		if !ae.Remote {
			who = "suite"
		}
		return fmt.Sprintf("connection closed by %s with %s", who, CodeName(uint64(ae.ErrorCode)))
	}
	var te *quic.TransportError
	if errors.As(err, &te) {
		return "QUIC transport error: " + te.Error()
	}
	var ie *quic.IdleTimeoutError
	if errors.As(err, &ie) {
		return "idle timeout (peer silent)"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return "timeout (peer silent)"
	}
	if err == io.EOF {
		return "FIN"
	}
	return err.Error()
}

// ResetCode returns the code of a stream reset by the peer.
func ResetCode(err error) (uint64, bool) {
	var se *quic.StreamError
	if errors.As(err, &se) && se.Remote {
		return uint64(se.ErrorCode), true
	}
	return 0, false
}

// CloseCode returns the application code of a connection closed by the
// peer.
func CloseCode(err error) (uint64, bool) {
	var ae *quic.ApplicationError
	if errors.As(err, &ae) && ae.Remote {
		return uint64(ae.ErrorCode), true
	}
	return 0, false
}

// closedByPeer reports whether err is a connection close the peer sent,
// with an application or a transport error code.
func closedByPeer(err error) bool {
	var ae *quic.ApplicationError
	var te *quic.TransportError
	return errors.As(err, &ae) && ae.Remote || errors.As(err, &te) && te.Remote
}

// IsTimeout reports whether err is a deadline or idle timeout.
func IsTimeout(err error) bool {
	var ne net.Error
	var ie *quic.IdleTimeoutError
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ie)
}

var codeNames = map[uint64]string{
	0x0: "0x0", 0x100: "H3_NO_ERROR 0x100", 0x101: "H3_GENERAL_PROTOCOL_ERROR 0x101", 0x102: "H3_INTERNAL_ERROR 0x102",
	0x103: "H3_STREAM_CREATION_ERROR 0x103", 0x104: "H3_CLOSED_CRITICAL_STREAM 0x104", 0x105: "H3_FRAME_UNEXPECTED 0x105",
	0x106: "H3_FRAME_ERROR 0x106", 0x107: "H3_EXCESSIVE_LOAD 0x107", 0x108: "H3_ID_ERROR 0x108",
	0x109: "H3_SETTINGS_ERROR 0x109", 0x10a: "H3_MISSING_SETTINGS 0x10a", 0x10b: "H3_REQUEST_REJECTED 0x10b",
	0x10c: "H3_REQUEST_CANCELLED 0x10c", 0x10d: "H3_REQUEST_INCOMPLETE 0x10d", 0x10e: "H3_MESSAGE_ERROR 0x10e",
	0x10f: "H3_CONNECT_ERROR 0x10f", 0x110: "H3_VERSION_FALLBACK 0x110", 0x33: "H3_DATAGRAM_ERROR 0x33",
}

// CodeName is the HTTP/3 registry name of an error code.
func CodeName(c uint64) string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("code %#x", c)
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
