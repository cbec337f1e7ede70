package host

import (
	"io"
	"sync"
)

// maxStdinQueue bounds the input held for a command that does not read it;
// past it, pushes wait, and the peer is held back by flow control.
const maxStdinQueue = 1 << 20

// stdinQueue feeds a command's stdin from its own goroutine, so a command
// that does not read never blocks the channel's control messages until the
// queue is full.
type stdinQueue struct {
	mu     sync.Mutex // guards the fields below
	cond   *sync.Cond
	buf    [][]byte
	size   int
	closed bool
	w      io.WriteCloser
}

func newStdinQueue(w io.WriteCloser) *stdinQueue {
	q := &stdinQueue{w: w}
	q.cond = sync.NewCond(&q.mu)
	go q.run()
	return q
}

// push queues a copy of p; it waits while the queue is full.
func (q *stdinQueue) push(p []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.size >= maxStdinQueue && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return
	}
	q.buf = append(q.buf, append([]byte(nil), p...))
	q.size += len(p)
	q.cond.Broadcast()
}

// close delivers EOF once the queued input is written.
func (q *stdinQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

func (q *stdinQueue) run() {
	for {
		q.mu.Lock()
		for len(q.buf) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.buf) == 0 {
			q.mu.Unlock()
			_ = q.w.Close()
			return
		}
		p := q.buf[0]
		q.buf = q.buf[1:]
		q.mu.Unlock()
		_, err := q.w.Write(p)
		q.mu.Lock()
		q.size -= len(p)
		q.cond.Broadcast()
		q.mu.Unlock()
		if err != nil {
			q.drop()
			return
		}
	}
}

// drop discards queued input after the command stopped reading.
func (q *stdinQueue) drop() {
	q.mu.Lock()
	q.closed = true
	q.buf, q.size = nil, 0
	q.cond.Broadcast()
	q.mu.Unlock()
	_ = q.w.Close()
}
