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
	// CloseWrite ends this side's direction (a FIN): EOF for the peer.
	CloseWrite() error
	// Peer tells what the other side may be sent.
	Peer() frame.Peer
	// PeerMaxMessageSize is the largest message the peer accepts.
	PeerMaxMessageSize() uint64
}

// writer serialises writes from the session's goroutines and keeps every
// message within what the peer may be sent. It asks the channel for the
// peer each time: a client learns the server's capabilities only from the
// 2xx, after its first requests went out.
type writer struct {
	mu sync.Mutex // guards ch writes
	ch Channel
}

func (w *writer) peer() frame.Peer { return w.ch.Peer() }

// send writes m if the peer may be sent it; it reports false when m was
// held back.
func (w *writer) send(m frame.Message) (bool, error) {
	if !w.peer().MaySend(m) {
		return false, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return true, w.ch.WriteMessage(m)
}

// reply answers a request that asked for one, when the peer takes answers.
func (w *writer) reply(r frame.Request, ok bool) error {
	if !r.Reply() || !w.peer().RepliesToRequests() {
		return nil
	}
	var m frame.Message = &frame.Failure{}
	if ok {
		m = &frame.Success{}
	}
	_, err := w.send(m)
	return err
}
