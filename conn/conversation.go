package conn

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/ssh3-project/ssh3/frame"
)

// Identity is who a conversation was authenticated as. User is the account;
// Extra is whatever the Authenticator wants the layers above to see.
type Identity struct {
	User  string
	Extra any
}

// ctrlStream is the CONNECT stream as either side holds it (*http3.Stream on
// the server, *http3.RequestStream on the client).
type ctrlStream interface {
	Read([]byte) (int, error)
	Close() error
	CancelRead(quic.StreamErrorCode)
	CancelWrite(quic.StreamErrorCode)
}

var (
	_ ctrlStream = (*http3.Stream)(nil)
	_ ctrlStream = (*http3.RequestStream)(nil)
)

// DefaultMaxChannels is the default cap on open channels per conversation
// (X-ROB-27).
const DefaultMaxChannels = 1024

// Conversation is one SSH3 conversation: an Extended CONNECT stream that
// stays open, and the channels that name its stream ID (§2.3, §2.6). A
// connection may carry several (G12). Closing the CONNECT stream, from
// either side, ends the conversation and resets its channels with
// H3_REQUEST_CANCELLED (G10).
type Conversation struct {
	cs          *connState
	profile     *frame.Profile
	server      bool
	maxMsg      uint64
	maxChannels int
	identity    Identity
	onClose     func(c *Conversation)

	mu       sync.Mutex // guards the fields below
	id       uint64
	ctrl     ctrlStream
	peer     frame.Peer
	channels map[uint64]*Channel
	queue    []*Channel // accepted channels not yet taken by AcceptChannel
	err      error      // why the conversation ended
	estErr   error      // client: the outcome of the CONNECT
	early    uint64     // client: channels opened before the CONNECT's outcome

	queued      chan struct{} // signalled when queue grows
	established chan struct{} // closed once the CONNECT's outcome is known
	estOnce     sync.Once
	done        chan struct{}
	closeOnce   sync.Once
}

func newConversation(cs *connState, p *frame.Profile, server bool, maxMsg uint64, maxChannels int) *Conversation {
	if maxChannels <= 0 {
		maxChannels = DefaultMaxChannels
	}
	return &Conversation{
		cs:          cs,
		profile:     p,
		server:      server,
		maxMsg:      maxMsg,
		maxChannels: maxChannels,
		peer:        frame.NewPeer(p, 0),
		channels:    map[uint64]*Channel{},
		queued:      make(chan struct{}, 1),
		established: make(chan struct{}),
		done:        make(chan struct{}),
	}
}

// ID is the conversation ID: the stream ID of the CONNECT stream (§2.6).
// On the client it changes if a 425 forced a second CONNECT.
func (c *Conversation) ID() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id
}

// Profile is the conversation's wire profile.
func (c *Conversation) Profile() *frame.Profile { return c.profile }

// Peer is the peer's profile and announced capabilities (§6.3), known once
// the CONNECT (server) or its response (client) has been read.
func (c *Conversation) Peer() frame.Peer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peer
}

// Identity is what the Authenticator returned (server side).
func (c *Conversation) Identity() Identity { return c.identity }

// Exporter is the connection's binding value (EXPORTER-SSH3, 32 bytes).
func (c *Conversation) Exporter() ([]byte, error) { return c.cs.Exporter() }

// RemoteAddr and LocalAddr are the connection's addresses.
func (c *Conversation) RemoteAddr() net.Addr { return c.cs.qc.RemoteAddr() }
func (c *Conversation) LocalAddr() net.Addr  { return c.cs.qc.LocalAddr() }

// DroppedDatagrams counts datagrams dropped on the conversation's
// connection: unroutable, malformed (ssh3-alpha), or over a channel's queue.
func (c *Conversation) DroppedDatagrams() uint64 { return c.cs.droppedDatagrams.Load() }

// Done is closed when the conversation has ended.
func (c *Conversation) Done() <-chan struct{} { return c.done }

// Err is why the conversation ended, or nil while it runs. A lost
// connection matches ErrConnectionLost; a FIN on the CONNECT stream
// ErrConversationClosed.
func (c *Conversation) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Established waits for the CONNECT's response: nil for a 2xx with a
// well-formed version, *StatusError for any other status. A server-side
// conversation is established from the start.
func (c *Conversation) Established(ctx context.Context) error {
	select {
	case <-c.established:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.estErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Conversation) setEstablished(err error) {
	c.estOnce.Do(func() {
		c.mu.Lock()
		c.estErr = err
		c.mu.Unlock()
		close(c.established)
	})
}

// ChannelCount is the number of channels open on the conversation.
func (c *Conversation) ChannelCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.channels)
}

// OpenChannel opens a channel of type typ with the type-specific header
// fields extra. The header is sent with the first write, read or close, so
// the first request travels in the same packet (§3.2). On the client this
// works before the CONNECT's response has arrived (pipelining) toward a
// server whose SETTINGS say it holds early channels (§2.7, G17); toward any
// other, such as the reference, which drops them, it waits for the
// response. If the response is not 2xx the channel fails with the
// conversation's error. Servers may open channels only in ssh3-alpha
// (agent-connection, §5.3).
func (c *Conversation) OpenChannel(ctx context.Context, typ string, extra frame.HeaderExtra) (*Channel, error) {
	if c.server && !c.profile.ServerOpensChannels() {
		return nil, ErrNotAllowed
	}
	if !c.server {
		if err := c.awaitOpenable(ctx); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	err, estErr, n := c.err, c.estErr, len(c.channels)
	c.mu.Unlock()
	switch {
	case err != nil:
		return nil, err
	case estErr != nil:
		return nil, estErr
	case n >= c.maxChannels:
		return nil, errors.New("conn: too many channels on this conversation")
	}
	str, serr := c.cs.qc.OpenStreamSync(ctx)
	if serr != nil {
		return nil, translate(serr)
	}
	c.mu.Lock()
	h := frame.ChannelHeader{Conversation: c.id, Type: typ, MaxMessageSize: c.maxMsg, Extra: extra}
	c.mu.Unlock()
	hb, herr := h.Append(nil, c.profile)
	if herr != nil {
		str.CancelWrite(quic.StreamErrorCode(CodeRequestCancelled))
		str.CancelRead(quic.StreamErrorCode(CodeRequestCancelled))
		return nil, herr
	}
	ch := newChannel(c.cs, str, h, c.profile, true, c.maxMsg)
	ch.pendingHeader = hb
	ch.r = frame.NewReader(str, c.profile, c.profile.AcceptedSize(c.maxMsg))
	ch.conv = c
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		ch.endWith(err)
		return nil, err
	}
	c.channels[ch.id] = ch
	c.mu.Unlock()
	if ch.dgrams != nil {
		c.cs.addUDP(ch)
	}
	return ch, nil
}

// awaitOpenable returns once a client may open a channel: at once while
// fewer channels than the server's SETTINGS say it holds early were opened
// before the CONNECT's outcome, else once that outcome is known. A server
// that sent no SETTINGS yet is not trusted with early channels.
func (c *Conversation) awaitOpenable(ctx context.Context) error {
	ctrl := c.cs.ctrl
	select {
	case <-c.established:
		return nil
	case <-ctrl.Received():
		if c.takeEarlySlot(ctrl.Settings().EarlyChannels) {
			return nil
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-c.established:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// takeEarlySlot counts one more channel opened before the CONNECT's
// outcome if the server holds that many (limit), or reports false.
func (c *Conversation) takeEarlySlot(limit uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.early >= limit {
		return false
	}
	c.early++
	return true
}

// AcceptChannel returns the next channel the peer opened: client-opened
// channels on the server, server-opened agent channels on an ssh3-alpha
// client. The caller must Confirm or Reject it before anything else;
// channel types it does not know should be rejected with reason 3
// (X-ROB-26).
func (c *Conversation) AcceptChannel(ctx context.Context) (*Channel, error) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			ch := c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
			more := len(c.queue) > 0
			c.mu.Unlock()
			if more {
				c.notify()
			}
			return ch, nil
		}
		err := c.err
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-c.queued:
		case <-c.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (c *Conversation) notify() {
	select {
	case c.queued <- struct{}{}:
	default:
	}
}

// deliver hands a channel the peer opened to AcceptChannel, or refuses it:
// wrong profile → H3_MESSAGE_ERROR, conversation gone → H3_REQUEST_REJECTED,
// too many channels → OPEN_FAILURE reason 4 (G10, X-ROB-27).
func (c *Conversation) deliver(ch *Channel) {
	if ch.profile != c.profile {
		resetStream(ch.str, CodeMessageError)
		return
	}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		resetStream(ch.str, CodeRequestRejected)
		return
	}
	if len(c.channels) >= c.maxChannels {
		c.mu.Unlock()
		c.cs.log.Debug("channel refused: too many channels", "conversation", c.id, "channel", ch.id)
		if ch.raw {
			resetStream(ch.str, CodeRequestRejected)
			return
		}
		ch.answered.Store(true)
		_ = ch.refuse(frame.ReasonResourceShortage, "too many channels")
		return
	}
	ch.conv = c
	c.channels[ch.id] = ch
	c.queue = append(c.queue, ch)
	c.mu.Unlock()
	if ch.dgrams != nil {
		c.cs.addUDP(ch)
	}
	c.notify()
}

func (c *Conversation) removeChannel(ch *Channel) {
	c.mu.Lock()
	if c.channels[ch.id] == ch {
		delete(c.channels, ch.id)
	}
	c.mu.Unlock()
	if ch.dgrams != nil {
		c.cs.removeUDP(ch)
	}
}

// Close ends the conversation: FIN on the CONNECT stream, and every channel
// reset with H3_REQUEST_CANCELLED. A client also closes its connection with
// H3_NO_ERROR.
func (c *Conversation) Close() error {
	c.closeWith(ErrConversationClosed, true)
	if !c.server {
		c.cs.wait() // the client owns the connection's goroutines
	}
	return nil
}

// closeWith ends the conversation with err; fin says whether the CONNECT
// stream is still worth a FIN. The first error wins.
func (c *Conversation) closeWith(err error, fin bool) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.err = err
		chans := c.channels
		c.channels = map[uint64]*Channel{}
		c.queue = nil
		ctrl := c.ctrl
		c.mu.Unlock()
		c.setEstablished(err)
		close(c.done)
		c.cs.log.Debug("conversation ended", "conversation", c.ID(), "channels", len(chans), "reason", err)
		for _, ch := range chans {
			ch.endWith(err)
		}
		if ctrl != nil {
			if fin {
				_ = ctrl.Close()
			}
			ctrl.CancelRead(quic.StreamErrorCode(CodeNoError))
		}
		if c.onClose != nil {
			c.onClose(c)
		}
	})
}

// watch reads the CONNECT stream until it ends, which ends the
// conversation (G10). Anything the peer sends on it is discarded.
func (c *Conversation) watch(r io.Reader) {
	buf := make([]byte, 128)
	for {
		_, err := r.Read(buf)
		if err == nil {
			continue
		}
		switch {
		case err == io.EOF:
			c.closeWith(ErrConversationClosed, true)
		case c.cs.lost() != nil:
			c.closeWith(c.cs.lost(), false)
		default:
			if c.cs.qc.Context().Err() != nil {
				c.closeWith(lostError(context.Cause(c.cs.qc.Context())), false)
				return
			}
			c.closeWith(translate(err), true)
		}
		return
	}
}

// resetStream refuses a stream in both directions.
func resetStream(str *quic.Stream, code Code) {
	str.CancelWrite(quic.StreamErrorCode(code))
	str.CancelRead(quic.StreamErrorCode(code))
}
