package conn

import (
	"sync"
	"time"
)

// Early-stream limits (G17): channel streams that arrive before their
// CONNECT has been answered — the normal case with pipelining (§8.7).
const (
	maxBufferedPerConversation = 16
	maxPendingConversations    = 4
	rememberedClosed           = 16
)

// registry maps conversation IDs to conversations on one server connection
// (G12, G17). Every request stream gets an entry when it is accepted, in
// stream-ID order, so a channel naming a CONNECT that is still being handled
// finds it and waits; a channel naming anything else is refused at once.
//
// Nothing runs before the 200: buffered channels reach the conversation
// only when it is established, and are reset with H3_REQUEST_REJECTED when
// the CONNECT fails or the early-stream timer fires.
type registry struct {
	timeout    time.Duration
	maxConvs   int
	onBuffered func(*Channel) // test hook: an early channel was buffered
	onHeld     func(*Channel) // test hook: a channel was held for establish

	mu        sync.Mutex // guards the fields below
	entries   map[uint64]*entry
	closed    [rememberedClosed]uint64
	closedN   int
	convs     int // established plus reserved conversations
	buffering int // entries holding early streams
	shutdown  bool
}

type entry struct {
	conv     *Conversation // set once the 200 has been sent
	answered bool          // the 200 is being sent; conv follows
	buffered []*Channel
	timer    *time.Timer
}

func newRegistry(timeout time.Duration, maxConvs int) *registry {
	return &registry{timeout: timeout, maxConvs: maxConvs, entries: map[uint64]*entry{}}
}

// accepted records a peer stream, before anyone knows what it is.
func (r *registry) accepted(id uint64) {
	r.mu.Lock()
	r.entries[id] = &entry{}
	r.mu.Unlock()
}

// forget drops the entry of a stream that turned out to be a channel.
func (r *registry) forget(id uint64) {
	r.mu.Lock()
	e := r.entries[id]
	delete(r.entries, id)
	r.mu.Unlock()
	if e != nil {
		r.reject(e)
	}
}

// route takes a channel whose header has been read.
func (r *registry) route(ch *Channel) {
	id := ch.header.Conversation
	r.mu.Lock()
	e := r.entries[id]
	switch {
	case e == nil || r.isClosed(id):
		r.mu.Unlock()
		resetStream(ch.str, CodeRequestRejected)
		return
	case e.conv != nil:
		conv := e.conv
		r.mu.Unlock()
		conv.deliver(ch)
		return
	}
	if e.answered {
		// The client has seen the 200 and opens channels at will; they
		// wait only for establish, which follows at once, so they are
		// bounded by QUIC's stream limit, not by the early cap.
		if len(e.buffered) == 0 {
			r.buffering++ // takeBuffered gives it back
		}
		e.buffered = append(e.buffered, ch)
		r.mu.Unlock()
		if r.onHeld != nil {
			r.onHeld(ch)
		}
		return
	}
	if len(e.buffered) >= maxBufferedPerConversation ||
		(len(e.buffered) == 0 && r.buffering >= maxPendingConversations) {
		r.mu.Unlock()
		resetStream(ch.str, CodeRequestRejected)
		return
	}
	if len(e.buffered) == 0 {
		r.buffering++
	}
	e.buffered = append(e.buffered, ch)
	if e.timer != nil {
		e.timer.Stop()
	}
	e.timer = time.AfterFunc(r.timeout, func() { r.expire(id, e) })
	r.mu.Unlock()
	if r.onBuffered != nil {
		r.onBuffered(ch)
	}
}

// expire refuses the early streams of a CONNECT that took too long.
func (r *registry) expire(id uint64, e *entry) {
	r.mu.Lock()
	if r.entries[id] != e || e.conv != nil {
		r.mu.Unlock()
		return
	}
	chans := r.takeBuffered(e)
	r.mu.Unlock()
	for _, ch := range chans {
		resetStream(ch.str, CodeRequestRejected)
	}
}

// takeBuffered empties an entry's buffer; called with mu held.
func (r *registry) takeBuffered(e *entry) []*Channel {
	chans := e.buffered
	if len(chans) > 0 {
		r.buffering--
	}
	e.buffered = nil
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	return chans
}

func (r *registry) reject(e *entry) {
	r.mu.Lock()
	chans := r.takeBuffered(e)
	r.mu.Unlock()
	for _, ch := range chans {
		resetStream(ch.str, CodeRequestRejected)
	}
}

// reserve claims a conversation slot (G12); false when the cap is reached
// or the server is shutting down.
func (r *registry) reserve() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shutdown || r.convs >= r.maxConvs {
		return false
	}
	r.convs++
	return true
}

func (r *registry) unreserve() {
	r.mu.Lock()
	r.convs--
	r.mu.Unlock()
}

// answering marks a CONNECT whose 200 is about to be written. From then
// on the client may open channels without counting them as early, so
// until establish runs they are held beyond the early cap.
func (r *registry) answering(id uint64) {
	r.mu.Lock()
	if e := r.entries[id]; e != nil {
		e.answered = true
	}
	r.mu.Unlock()
}

// establish binds a conversation to its entry after the 200 and hands it
// the channels that arrived early, in arrival order.
func (r *registry) establish(id uint64, c *Conversation) {
	r.mu.Lock()
	e := r.entries[id]
	if e == nil {
		e = &entry{}
		r.entries[id] = e
	}
	e.conv = c
	chans := r.takeBuffered(e)
	r.mu.Unlock()
	for _, ch := range chans {
		c.deliver(ch)
	}
}

// requestDone runs when http3 has finished a request stream. A CONNECT
// that did not become a conversation frees its early streams at once.
func (r *registry) requestDone(id uint64) {
	r.mu.Lock()
	e := r.entries[id]
	if e == nil || e.conv != nil {
		r.mu.Unlock()
		return
	}
	delete(r.entries, id)
	r.remember(id)
	chans := r.takeBuffered(e)
	r.mu.Unlock()
	for _, ch := range chans {
		resetStream(ch.str, CodeRequestRejected)
	}
}

// closedConversation forgets an ended conversation, remembering its ID.
func (r *registry) closedConversation(id uint64, c *Conversation) {
	r.mu.Lock()
	if e := r.entries[id]; e != nil && e.conv == c {
		delete(r.entries, id)
		r.remember(id)
		r.convs--
	}
	r.mu.Unlock()
}

// remember records a closed ID; called with mu held.
func (r *registry) remember(id uint64) {
	r.closed[r.closedN%rememberedClosed] = id
	r.closedN++
}

// isClosed reports whether id is among the last closed IDs; mu held.
func (r *registry) isClosed(id uint64) bool {
	n := min(r.closedN, rememberedClosed)
	for i := 0; i < n; i++ {
		if r.closed[i] == id {
			return true
		}
	}
	return false
}

// stop refuses new conversations and drops every pending early stream.
func (r *registry) stop() {
	r.mu.Lock()
	r.shutdown = true
	var chans []*Channel
	for _, e := range r.entries {
		if e.conv == nil {
			chans = append(chans, r.takeBuffered(e)...)
		}
	}
	r.mu.Unlock()
	for _, ch := range chans {
		resetStream(ch.str, CodeRequestRejected)
	}
}
