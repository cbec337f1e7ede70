package session

import (
	"sync"

	"github.com/ssh3-project/ssh3/frame"
)

// Channel is what a session needs of its channel; conn's channels satisfy
// it. Messages read may alias the channel's buffer until the next read.
type Channel interface {
	ReadMessage() (frame.Message, error)
	WriteMessage(frame.Message) error
	// WriteData and WriteExtendedData send bytes as CHANNEL_DATA or
	// CHANNEL_EXTENDED_DATA, cut to the peer's maximum as known at each
	// batch and batched (conn's one framing path for sessions and
	// forwarding alike).
	WriteData(p []byte) (int, error)
	WriteExtendedData(dataType uint64, p []byte) (int, error)
	// CloseWrite ends this side's direction (a FIN): EOF for the peer.
	CloseWrite() error
	// Peer tells what the other side may be sent.
	Peer() frame.Peer
	// PeerMaxMessageSize is the largest message the peer accepts.
	PeerMaxMessageSize() uint64
}

// Writer serialises writes from a session's goroutines, on either side, and
// keeps every message within what the peer may be sent. It asks the channel
// for the peer each time: a client learns the server's capabilities only
// from the 2xx, after its first requests went out.
type Writer struct {
	mu sync.Mutex // guards ch writes
	ch Channel
}

// NewWriter writes to ch.
func NewWriter(ch Channel) *Writer { return &Writer{ch: ch} }

// Peer is what the other side may be sent.
func (w *Writer) Peer() frame.Peer { return w.ch.Peer() }

// Send writes m if the peer may be sent it; it reports false when m was
// held back.
func (w *Writer) Send(m frame.Message) (bool, error) {
	if !w.Peer().MaySend(m) {
		return false, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return true, w.ch.WriteMessage(m)
}

// Data sends p as stdin (client) or stdout (server).
func (w *Writer) Data(p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := w.ch.WriteData(p)
	return err
}

// Stderr sends p as extended data of type stderr.
func (w *Writer) Stderr(p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := w.ch.WriteExtendedData(frame.ExtendedDataStderr, p)
	return err
}

// Reply answers a request that asked for one, when the peer takes answers.
func (w *Writer) Reply(r frame.Request, ok bool) error {
	if !r.Reply() || !w.Peer().RepliesToRequests() {
		return nil
	}
	var m frame.Message = &frame.Failure{}
	if ok {
		m = &frame.Success{}
	}
	_, err := w.Send(m)
	return err
}

// PtySpec is what a pty-req asked for.
type PtySpec struct {
	Term          string
	Columns, Rows uint16
	Width, Height uint16 // pixels
	Modes         []byte // RFC 4254 §8 encoded modes, applied to the terminal
}
