package forward

import (
	"errors"
	"io"
	"sync"

	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// copyBufSize is the read size from local sockets: large writes are what
// QUIC streams are fast with, and WriteData batches up to 64 KiB.
const copyBufSize = 64 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// byteStream is a TCP-carrying channel seen as bytes, whatever its framing.
type byteStream interface {
	io.Reader
	io.Writer
	io.WriterTo
	CloseWrite() error
}

// newByteStream adapts ch: raw channels are used as they are (rth3-00, G4);
// message channels carry the bytes in CHANNEL_DATA (ssh3-alpha).
func newByteStream(ch *conn.Channel) byteStream {
	if ch.Raw() {
		return rawStream{ch}
	}
	return &msgStream{ch: ch}
}

type rawStream struct{ ch *conn.Channel }

func (r rawStream) Read(p []byte) (int, error)  { return r.ch.Read(p) }
func (r rawStream) Write(p []byte) (int, error) { return r.ch.Write(p) }
func (r rawStream) CloseWrite() error           { return r.ch.CloseWrite() }

func (r rawStream) WriteTo(w io.Writer) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	return io.CopyBuffer(onlyWriter{w}, onlyReader{r.ch}, *bp)
}

// msgStream reads CHANNEL_DATA payloads and writes bytes as CHANNEL_DATA;
// EXTENDED_DATA and every other message are ignored (§5.1).
type msgStream struct {
	ch   *conn.Channel
	rest []byte // unread part of the last payload (copied)
}

func (m *msgStream) Write(p []byte) (int, error) { return m.ch.WriteData(p) }
func (m *msgStream) CloseWrite() error           { return m.ch.CloseWrite() }

func (m *msgStream) Read(p []byte) (int, error) {
	if len(m.rest) > 0 {
		n := copy(p, m.rest)
		m.rest = m.rest[n:]
		return n, nil
	}
	for {
		msg, err := m.ch.ReadMessage()
		if err != nil {
			return 0, err
		}
		if d, ok := msg.(*frame.Data); ok && len(d.Data) > 0 {
			n := copy(p, d.Data)
			if n < len(d.Data) {
				m.rest = append(m.rest[:0], d.Data[n:]...)
			}
			return n, nil
		}
	}
}

// WriteTo hands each payload straight to w, without a copy.
func (m *msgStream) WriteTo(w io.Writer) (int64, error) {
	var total int64
	if len(m.rest) > 0 {
		n, err := w.Write(m.rest)
		total += int64(n)
		m.rest = nil
		if err != nil {
			return total, &localError{err}
		}
	}
	for {
		msg, err := m.ch.ReadMessage()
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		if d, ok := msg.(*frame.Data); ok && len(d.Data) > 0 {
			n, err := w.Write(d.Data)
			total += int64(n)
			if err != nil {
				return total, &localError{err}
			}
		}
	}
}

// localError marks a failure to write to the local socket, as opposed
// to a failure of the channel.
type localError struct{ err error }

func (e *localError) Error() string { return "forward: local socket: " + e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil {
		err = &localError{err}
	}
	return n, err
}

type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// halfCloser is a local connection whose write side can be shut down alone
// (*net.TCPConn, *net.UnixConn).
type halfCloser interface {
	CloseWrite() error
}

// peerStopped reports a channel write that failed because the peer stopped
// reading with the ssh3-alpha code 42, which counts as a normal close
// (§5.1), or cleanly with H3_NO_ERROR.
func peerStopped(err error) bool {
	var ce *conn.Error
	return errors.As(err, &ce) && ce.Remote && (ce.Code == conn.CodeAlphaStopSending || ce.Code == conn.CodeNoError)
}

// failCode is the reset code for a local failure on ch: the alpha
// convention 42 on message channels, H3_CONNECT_ERROR on raw ones (§5.1).
func failCode(ch *conn.Channel) conn.Code {
	if ch.Raw() {
		return conn.CodeConnectError
	}
	return conn.CodeAlphaStopSending
}

// Relay copies bytes both ways between local and ch until both directions
// have ended, carrying half-closes across (EOF ↔ FIN). It owns both and
// closes them. The error is the first failure, nil for a clean end; an
// *conn.OpenError or a *conn.Error from the peer tells a refused channel.
func Relay(local io.ReadWriteCloser, ch *conn.Channel) error {
	return relay(local, ch, newByteStream(ch))
}

func relay(local io.ReadWriteCloser, ch *conn.Channel, s byteStream) error {
	errc := make(chan error, 2)
	go func() { errc <- upstream(local, s) }()
	go func() { errc <- downstream(local, s) }()
	first := <-errc
	if first != nil {
		abort(local, ch, first)
		<-errc
		return first
	}
	second := <-errc
	if second != nil {
		abort(local, ch, second)
		return second
	}
	_ = local.Close()
	_ = ch.Close()
	return nil
}

// upstream copies local → channel; local EOF becomes FIN.
func upstream(local io.Reader, s byteStream) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, rerr := local.Read(buf)
		if n > 0 {
			if _, err := s.Write(buf[:n]); err != nil {
				if peerStopped(err) {
					closeRead(local)
					return nil
				}
				return err
			}
		}
		if rerr == io.EOF {
			return s.CloseWrite()
		}
		if rerr != nil {
			return &localError{rerr}
		}
	}
}

// downstream copies channel → local; FIN becomes a write shutdown.
func downstream(local io.Writer, s byteStream) error {
	if _, err := s.WriteTo(local); err != nil {
		return err
	}
	if hc, ok := local.(halfCloser); ok {
		_ = hc.CloseWrite()
		return nil
	}
	return nil
}

func closeRead(local io.Reader) {
	if cr, ok := local.(interface{ CloseRead() error }); ok {
		_ = cr.CloseRead()
	}
}

// abort ends both sides after a failure: a local failure resets the
// channel (42 or H3_CONNECT_ERROR), a channel failure closes the socket.
func abort(local io.Closer, ch *conn.Channel, err error) {
	_ = local.Close()
	var lw *localError
	if errors.As(err, &lw) {
		ch.Abort(failCode(ch))
		return
	}
	ch.Abort(conn.CodeRequestCancelled)
}
