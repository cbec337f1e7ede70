package frame

import (
	"errors"
	"io"
)

// Reader decodes a channel stream: optionally its header, then messages (or,
// on raw channels, bytes). It buffers at most the channel's maximum message
// size plus a little, so a peer cannot make it hold more.
type Reader struct {
	r   io.Reader
	p   *Profile
	max uint64
	buf []byte
	off int // start of unread bytes in buf
	err error
}

// messageSlack is how far past the maximum a Reader buffers a message, so
// that one a little too large (a length field's worth) is read whole and
// reported with its real size.
const messageSlack = 32

// readChunk is the least a Reader asks of the underlying stream at a time.
const readChunk = 4096

// NewReader reads messages of profile p, each at most max bytes (the size
// this side announced), from r. p may be nil until SetProfile when the
// header comes first and names the profile.
func NewReader(r io.Reader, p *Profile, max uint64) *Reader {
	return &Reader{r: r, p: p, max: max}
}

// SetLimits changes the profile and the maximum message size.
func (r *Reader) SetLimits(p *Profile, max uint64) { r.p, r.max = p, max }

// Profile is the profile messages are decoded with.
func (r *Reader) Profile() *Profile { return r.p }

// fill reads more bytes, keeping the unread ones, and never lets the buffer
// grow past limit bytes of unread data.
func (r *Reader) fill(limit int) error {
	if r.err != nil {
		return r.err
	}
	unread := len(r.buf) - r.off
	if unread >= limit {
		return errBufferFull
	}
	if r.off > 0 {
		copy(r.buf, r.buf[r.off:])
		r.buf = r.buf[:unread]
		r.off = 0
	}
	// Grow (doubling) only when there is little room left: growing
	// whenever the free space is under want would copy the whole buffer on
	// every read of a stream that delivers a few bytes at a time.
	want := min(max(readChunk, unread), limit-unread)
	if cap(r.buf)-len(r.buf) < min(readChunk, want) {
		nb := make([]byte, len(r.buf), len(r.buf)+want)
		copy(nb, r.buf)
		r.buf = nb
	}
	n, err := r.r.Read(r.buf[len(r.buf):cap(r.buf)])
	r.buf = r.buf[:len(r.buf)+n]
	if err != nil && n == 0 {
		r.err = err
		return err
	}
	return nil
}

var errBufferFull = errors.New("frame: buffer full")

// ReadHeader reads and decodes the channel header, and adopts its profile.
func (r *Reader) ReadHeader() (ChannelHeader, *Profile, error) {
	for {
		h, p, n, err := ParseChannelHeader(r.buf[r.off:])
		if err == nil {
			r.off += n
			r.p = p
			return h, p, nil
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
			return h, nil, err
		}
		if ferr := r.fill(MaxHeaderLen); ferr != nil {
			return h, nil, r.endErr(ferr, len(r.buf) > r.off, "channel header", MaxHeaderLen)
		}
	}
}

// ReadMessage reads the next message. Byte fields of the result alias the
// Reader's buffer and are valid until the next call. At a clean end of
// stream between messages it returns io.EOF; inside one,
// io.ErrUnexpectedEOF; over the maximum size, an error matching
// ErrTooLarge.
func (r *Reader) ReadMessage() (Message, error) {
	for {
		m, n, err := ParseMessage(r.buf[r.off:], r.p, r.max)
		if err == nil {
			r.off += n
			return m, nil
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
			return nil, err
		}
		if ferr := r.fill(int(min(r.max, 1<<30)) + messageSlack); ferr != nil {
			return nil, r.endErr(ferr, len(r.buf) > r.off, "message", r.max)
		}
	}
}

// endErr turns the reason fill stopped into the error a caller sees.
func (r *Reader) endErr(err error, partial bool, what string, limit uint64) error {
	switch {
	case err == errBufferFull:
		return &SizeError{What: what, Size: uint64(len(r.buf) - r.off), Max: limit, AtLeast: true}
	case err == io.EOF && partial:
		return &FieldError{What: what, Field: "end of stream", Err: io.ErrUnexpectedEOF}
	}
	return err
}

// Read reads raw bytes after the header (rth3-00 TCP channels): first what
// the Reader has buffered, then from the stream.
func (r *Reader) Read(p []byte) (int, error) {
	if r.off < len(r.buf) {
		n := copy(p, r.buf[r.off:])
		r.off += n
		return n, nil
	}
	if r.err != nil {
		return 0, r.err
	}
	return r.r.Read(p)
}

// Buffered is the number of bytes read from the stream and not yet decoded.
func (r *Reader) Buffered() int { return len(r.buf) - r.off }
