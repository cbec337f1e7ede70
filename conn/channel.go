package conn

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/ssh3-project/ssh3/frame"
)

// writeBatch is the most WriteData hands to the stream in one Write; large
// writes are what QUIC is fast with (§8.8).
const writeBatch = 64 << 10

// Channel is one SSH3 channel: a bidirectional QUIC stream whose ID is the
// channel ID (§3.2). The opener's header goes out with its first write
// (lazy header), so a request pipelines behind it in one packet; the
// acceptor answers with Confirm or Reject before anything else (§3.4, G2).
//
// Messages are read by one goroutine and written by any number; reads and
// writes may run concurrently.
type Channel struct {
	cs       *connState
	conv     *Conversation
	str      *quic.Stream
	id       uint64
	header   frame.ChannelHeader
	profile  *frame.Profile
	opener   bool
	raw      bool   // rth3-00 TCP and agent channels: raw bytes, no confirmation (G4, G6)
	localMax uint64 // the largest message this side accepts
	peerMax  atomic.Uint64
	// announced is set once the peer's maximum is known: from the header
	// (acceptor) or from the 91 (opener).
	announced atomic.Bool

	rmu       sync.Mutex // guards r, confirmed and openErr
	r         *frame.Reader
	confirmed bool  // opener: the confirmation or failure has been read
	openErr   error // opener: the OPEN_FAILURE, once read

	wmu           sync.Mutex // guards pendingHeader and keeps writes whole
	pendingHeader []byte

	answered atomic.Bool // acceptor: Confirm or Reject was called

	dgrams           chan []byte // UDP channels only
	droppedDatagrams atomic.Uint64

	endMu  sync.Mutex // guards endErr
	endErr error      // why the conversation ended under the channel
	done   atomic.Bool
}

func newChannel(cs *connState, str *quic.Stream, h frame.ChannelHeader, p *frame.Profile, opener bool, localMax uint64) *Channel {
	ch := &Channel{
		cs:       cs,
		str:      str,
		id:       uint64(str.StreamID()),
		header:   h,
		profile:  p,
		opener:   opener,
		raw:      p.RawChannel(&h),
		localMax: localMax,
	}
	if h.CarriesDatagrams() {
		ch.dgrams = make(chan []byte, datagramQueueLen)
	}
	if opener {
		// Until the confirmation says otherwise, assume the size every
		// known peer accepts (§3.4).
		ch.peerMax.Store(min(frame.DefaultMaxMessageSize, localMax))
	} else {
		ch.peerMax.Store(h.MaxMessageSize)
		ch.announced.Store(true)
	}
	return ch
}

// ID is the channel ID: the stream ID of the channel's stream.
func (ch *Channel) ID() uint64 { return ch.id }

// Type is the channel type from the header ("session", "direct-tcp", ...).
func (ch *Channel) Type() string { return ch.header.Type }

// Header is the channel header as sent by the opener.
func (ch *Channel) Header() frame.ChannelHeader { return ch.header }

// Profile is the wire profile of the channel's conversation.
func (ch *Channel) Profile() *frame.Profile { return ch.profile }

// Peer is what is known of the other side (§6.3).
func (ch *Channel) Peer() frame.Peer { return ch.conv.Peer() }

// Conversation is the conversation the channel belongs to.
func (ch *Channel) Conversation() *Conversation { return ch.conv }

// Opener reports whether this side opened the channel.
func (ch *Channel) Opener() bool { return ch.opener }

// Raw reports whether the channel carries raw bytes (Read/Write) rather
// than messages (rth3-00 TCP channels, G4).
func (ch *Channel) Raw() bool { return ch.raw }

// PeerMaxMessageSize is the largest message the peer accepts, as far as
// this side knows now: the size CHANNEL_DATA is cut to. An rth3-00 opener
// that has not read the acceptor's 91 yet knows only the floor every
// acceptor accepts, 256 bytes, and data pipelined behind the open is cut to
// it (N3, §3.4); requests are not cut, and assume 30000 until the 91.
// ssh3-alpha peers accept 30000 whatever their 91 says.
func (ch *Channel) PeerMaxMessageSize() uint64 {
	if !ch.announced.Load() && ch.profile.ConfirmedMaxBinds() {
		return frame.MinMaxMessageSize
	}
	return ch.peerMax.Load()
}

// Confirm accepts a channel opened by the peer: it writes
// CHANNEL_OPEN_CONFIRMATION announcing this side's maximum message size,
// except on raw channels, which have no confirmation (G4).
func (ch *Channel) Confirm() error {
	if ch.opener {
		return ErrNotAllowed
	}
	if ch.answered.Swap(true) {
		return errors.New("conn: channel already confirmed or rejected")
	}
	if ch.raw {
		return nil
	}
	b, err := frame.NewOpenConfirmation(ch.localMax).Append(nil, ch.profile)
	if err != nil {
		return err
	}
	return ch.write(b)
}

// Reject refuses a channel opened by the peer: CHANNEL_OPEN_FAILURE, then
// FIN (G2). Raw channels have no messages, so they are reset instead, with
// H3_CONNECT_ERROR for reason 2 (connect failed) and H3_REQUEST_REJECTED
// otherwise (G4).
func (ch *Channel) Reject(reason uint64, description string) error {
	if ch.opener {
		return ErrNotAllowed
	}
	if ch.answered.Swap(true) {
		return errors.New("conn: channel already confirmed or rejected")
	}
	if ch.raw {
		code := CodeRequestRejected
		if reason == frame.ReasonConnectFailed {
			code = CodeConnectError
		}
		ch.Abort(code)
		return nil
	}
	return ch.refuse(reason, description)
}

// refuse writes OPEN_FAILURE and FIN, stops reading and forgets the channel.
func (ch *Channel) refuse(reason uint64, description string) error {
	b, err := (&frame.OpenFailure{Reason: reason, Description: description}).Append(nil, ch.profile)
	if err != nil {
		return err
	}
	_, werr := ch.str.Write(b)
	_ = ch.str.Close()
	ch.stopReading()
	ch.finish()
	return ch.streamErr(werr)
}

// drainTimeout bounds how long a channel toward an ssh3-alpha peer is
// drained before STOP_SENDING.
const drainTimeout = 10 * time.Second

// stopReading ends the receive side. A reference peer is sent nothing but
// the 92 and the FIN (§6.1), so on ssh3-alpha the stream is drained for a
// while before STOP_SENDING; rth3-00 peers get STOP_SENDING H3_NO_ERROR at
// once. A read blocked in another goroutine returns at once either way.
func (ch *Channel) stopReading() {
	if ch.profile != frame.Alpha || ch.cs == nil {
		ch.str.CancelRead(quic.StreamErrorCode(CodeNoError))
		return
	}
	_ = ch.str.SetReadDeadline(time.Now()) // wake a blocked reader
	started := ch.cs.go_(func() {
		ch.rmu.Lock()
		defer ch.rmu.Unlock()
		_ = ch.str.SetReadDeadline(time.Now().Add(drainTimeout))
		_, _ = io.Copy(io.Discard, ch.str)
		ch.str.CancelRead(quic.StreamErrorCode(CodeNoError))
	})
	if !started { // the connection is gone: nothing to drain
		ch.str.CancelRead(quic.StreamErrorCode(CodeNoError))
	}
}

// ReadMessage reads the next message. On the opener's side the first
// message must be the confirmation, which is consumed here; an
// OPEN_FAILURE is returned as *OpenError. Byte fields of the result are
// valid until the next call. A clean FIN between messages is io.EOF. A
// message over this side's maximum resets the stream with
// H3_EXCESSIVE_LOAD; a malformed one with H3_MESSAGE_ERROR (G10).
func (ch *Channel) ReadMessage() (frame.Message, error) {
	if ch.raw {
		return nil, ErrRawChannel
	}
	if err := ch.flushHeader(); err != nil {
		return nil, err
	}
	ch.rmu.Lock()
	defer ch.rmu.Unlock()
	if ch.opener && !ch.confirmed {
		if err := ch.readConfirmation(); err != nil {
			return nil, err
		}
	}
	if ch.openErr != nil {
		return nil, ch.openErr
	}
	m, err := ch.r.ReadMessage()
	if err != nil {
		return nil, ch.readErr(err)
	}
	return m, nil
}

// readConfirmation reads the acceptor's answer (§3.4). Called with rmu held.
func (ch *Channel) readConfirmation() error {
	m, err := ch.r.ReadMessage()
	if err != nil {
		return ch.readErr(err)
	}
	ch.confirmed = true
	switch m := m.(type) {
	case *frame.OpenConfirmation:
		if m.MaxMessageSize < frame.MinMaxMessageSize {
			ch.Abort(CodeMessageError)
			return &Error{Code: CodeMessageError, Message: "confirmation announces a tiny maximum message size"}
		}
		ch.peerMax.Store(m.MaxMessageSize)
		ch.announced.Store(true)
		return nil
	case *frame.OpenFailure:
		ch.openErr = &OpenError{Reason: m.Reason, Description: m.Description}
		_ = ch.CloseWrite()
		ch.stopReading()
		ch.finish()
		return ch.openErr
	}
	ch.Abort(CodeMessageError)
	return &Error{Code: CodeMessageError, Message: "first message is not a confirmation"}
}

// readErr classifies a read failure: the peer's malformed or oversized
// input resets this stream only.
func (ch *Channel) readErr(err error) error {
	if err == io.EOF {
		if e := ch.ended(); e != nil {
			return e
		}
		return io.EOF
	}
	if errors.Is(err, frame.ErrTooLarge) {
		ch.Abort(CodeExcessiveLoad)
		return &Error{Code: CodeExcessiveLoad, Message: err.Error()}
	}
	var fe *frame.FieldError
	if errors.As(err, &fe) {
		ch.Abort(CodeMessageError)
		return &Error{Code: CodeMessageError, Message: err.Error()}
	}
	return ch.streamErr(err)
}

// WriteMessage writes one message, which must fit the peer's maximum size.
func (ch *Channel) WriteMessage(m frame.Message) error {
	if ch.raw {
		return ErrRawChannel
	}
	b, err := frame.AppendMessage(nil, m, ch.profile, ch.peerMax.Load())
	if err != nil {
		return err
	}
	return ch.write(b)
}

// WriteData sends p as CHANNEL_DATA messages, each within the peer's
// maximum message size (§3.4), several to a stream write (up to 64 KiB).
func (ch *Channel) WriteData(p []byte) (int, error) {
	return ch.writeChunked(p, 0, func(b, d []byte) []byte {
		b, _ = (&frame.Data{Data: d}).Append(b, ch.profile)
		return b
	})
}

// WriteExtendedData sends p as CHANNEL_EXTENDED_DATA messages of dataType
// (frame.ExtendedDataStderr for stderr), cut and batched as WriteData does.
func (ch *Channel) WriteExtendedData(dataType uint64, p []byte) (int, error) {
	m := &frame.ExtendedData{DataType: dataType}
	return ch.writeChunked(p, m.Len(ch.profile)-(&frame.Data{}).Len(ch.profile), func(b, d []byte) []byte {
		m.Data = d
		b, _ = m.Append(b, ch.profile)
		return b
	})
}

// writeChunked cuts p into payloads that fit the peer's maximum once a
// message adds extra bytes beyond a CHANNEL_DATA's own, encodes each with
// add, and writes them in batches of about writeBatch bytes.
func (ch *Channel) writeChunked(p []byte, extra int, add func(b, payload []byte) []byte) (int, error) {
	if ch.raw {
		return 0, ErrRawChannel
	}
	written := 0
	var buf []byte
	for written < len(p) {
		// The peer's maximum may become known (91) between batches.
		chunk := max(frame.MaxDataPayload(ch.PeerMaxMessageSize())-extra, 1)
		if buf == nil {
			buf = make([]byte, 0, min(writeBatch, len(p)+(frame.DataOverhead+extra)*(len(p)/chunk+1)))
		}
		buf = buf[:0]
		n := written
		for n < len(p) && len(buf) < writeBatch {
			end := min(n+chunk, len(p))
			buf = add(buf, p[n:end])
			n = end
		}
		if err := ch.write(buf); err != nil {
			return written, err
		}
		written = n
	}
	return written, nil
}

// Read reads raw bytes from a raw channel (rth3-00 TCP, G4).
func (ch *Channel) Read(p []byte) (int, error) {
	if !ch.raw {
		return 0, ErrRawChannel
	}
	if err := ch.flushHeader(); err != nil {
		return 0, err
	}
	ch.rmu.Lock()
	defer ch.rmu.Unlock()
	n, err := ch.r.Read(p)
	if err != nil && err != io.EOF {
		err = ch.streamErr(err)
	}
	return n, err
}

// Write writes raw bytes on a raw channel; the first write carries the
// header.
func (ch *Channel) Write(p []byte) (int, error) {
	if !ch.raw {
		return 0, ErrRawChannel
	}
	if err := ch.write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// write sends b, preceded by the header if it is still pending, in one
// stream write (§8.7: the header and the first message travel together).
func (ch *Channel) write(b []byte) error {
	ch.wmu.Lock()
	defer ch.wmu.Unlock()
	if ch.pendingHeader != nil {
		b = append(ch.pendingHeader, b...)
		ch.pendingHeader = nil
	}
	_, err := ch.str.Write(b)
	return ch.streamErr(err)
}

// Flush sends the header now if nothing has been written yet. Reading and
// closing flush it too.
func (ch *Channel) Flush() error { return ch.flushHeader() }

func (ch *Channel) flushHeader() error {
	ch.wmu.Lock()
	defer ch.wmu.Unlock()
	if ch.pendingHeader == nil {
		return nil
	}
	b := ch.pendingHeader
	ch.pendingHeader = nil
	_, err := ch.str.Write(b)
	return ch.streamErr(err)
}

// CloseWrite sends FIN: the end of this side's data (stdin EOF, G11).
func (ch *Channel) CloseWrite() error {
	if err := ch.flushHeader(); err != nil {
		return err
	}
	return ch.streamErr(ch.str.Close())
}

// Close ends the channel cleanly: FIN, and no more reading.
func (ch *Channel) Close() error {
	err := ch.CloseWrite()
	if !ch.done.Load() {
		ch.stopReading()
	}
	ch.finish()
	return err
}

// Abort resets both directions of the channel with code.
func (ch *Channel) Abort(code Code) {
	ch.str.CancelWrite(quic.StreamErrorCode(code))
	ch.str.CancelRead(quic.StreamErrorCode(code))
	ch.finish()
}

// SetReadDeadline and SetWriteDeadline bound blocking reads and writes.
func (ch *Channel) SetReadDeadline(t time.Time) error  { return ch.str.SetReadDeadline(t) }
func (ch *Channel) SetWriteDeadline(t time.Time) error { return ch.str.SetWriteDeadline(t) }

// SendDatagram sends payload on a UDP channel in the profile's datagram
// layout (§3.7, G7). It never waits for the channel's confirmation.
func (ch *Channel) SendDatagram(payload []byte) error {
	if ch.dgrams == nil {
		return ErrNoDatagrams
	}
	b, err := ch.profile.AppendDatagram(nil, frame.Datagram{Conversation: ch.conv.ID(), Channel: ch.id, Payload: payload})
	if err != nil {
		return err
	}
	if err := ch.cs.qc.SendDatagram(b); err != nil {
		return translate(err)
	}
	return nil
}

// ReceiveDatagram returns the next datagram payload of a UDP channel.
func (ch *Channel) ReceiveDatagram(ctx context.Context) ([]byte, error) {
	if ch.dgrams == nil {
		return nil, ErrNoDatagrams
	}
	select {
	case b := <-ch.dgrams:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-ch.conv.done:
		return nil, ch.conv.Err()
	}
}

// DroppedDatagrams counts datagrams dropped because the channel's queue was
// full.
func (ch *Channel) DroppedDatagrams() uint64 { return ch.droppedDatagrams.Load() }

// endWith resets the channel because its conversation ended with err
// (H3_REQUEST_CANCELLED, G10); later calls report err.
func (ch *Channel) endWith(err error) {
	ch.endMu.Lock()
	if ch.endErr == nil {
		ch.endErr = err
	}
	ch.endMu.Unlock()
	ch.str.CancelWrite(quic.StreamErrorCode(CodeRequestCancelled))
	ch.str.CancelRead(quic.StreamErrorCode(CodeRequestCancelled))
	ch.done.Store(true)
	if ch.dgrams != nil {
		ch.cs.removeUDP(ch)
	}
}

func (ch *Channel) ended() error {
	ch.endMu.Lock()
	defer ch.endMu.Unlock()
	return ch.endErr
}

// streamErr translates a stream error; once the conversation has ended its
// cause is reported instead.
func (ch *Channel) streamErr(err error) error {
	if err == nil {
		return nil
	}
	if e := ch.ended(); e != nil {
		return e
	}
	if ch.cs != nil {
		if e := ch.cs.lost(); e != nil {
			return e
		}
	}
	if ch.done.Load() {
		return net.ErrClosed // this side closed or aborted the channel
	}
	return translate(err)
}

// finish forgets the channel once this side is done with it.
func (ch *Channel) finish() {
	if ch.done.Swap(true) {
		return
	}
	if ch.conv != nil {
		ch.conv.removeChannel(ch)
	}
}
