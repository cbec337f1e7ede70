package conn

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"github.com/quic-go/quic-go/quicvarint"

	"github.com/ssh3-project/ssh3/conn/internal/h3"
	"github.com/ssh3-project/ssh3/frame"
)

// exporterLabel and exporterLen define the connection binding value (§2.6).
const (
	exporterLabel = "EXPORTER-SSH3"
	exporterLen   = 32
)

// connState is what both ends keep per QUIC connection: the conversations
// on it, the UDP channels datagrams are routed to (G7 Option A), the peer's
// control stream (§8.7), and the goroutines that serve it.
//
// Locks are never nested: connState.mu, Conversation.mu and the Channel
// mutexes are each released before another is taken, and none is held
// while calling quic-go methods that may block.
type connState struct {
	qc     *quic.Conn
	server bool
	log    *slog.Logger
	ctrl   *h3.Control
	uni    uniHandler

	expOnce  sync.Once
	exporter []byte
	expErr   error

	mu           sync.Mutex               // guards the fields below
	convs        map[uint64]*Conversation // established (server) or sent (client) conversations by ID
	udp          map[uint64]*Channel      // UDP channels by channel ID
	dgramProfile *frame.Profile           // the layout of datagrams on this connection
	lostErr      error                    // set once the connection is gone

	droppedDatagrams atomic.Uint64

	wgMu    sync.Mutex     // orders go_ against wait: guards stopped
	stopped bool           // wait has begun; no goroutine may start
	wg      sync.WaitGroup // every goroutine serving this connection
}

func newConnState(qc *quic.Conn, server bool, log *slog.Logger) *connState {
	cs := &connState{
		qc:     qc,
		server: server,
		log:    log,
		ctrl:   h3.NewControl(),
		convs:  map[uint64]*Conversation{},
		udp:    map[uint64]*Channel{},
	}
	context.AfterFunc(qc.Context(), cs.onLost)
	return cs
}

// go_ starts a goroutine owned by this connection.
// It reports false, and starts nothing, once wait has begun: a channel
// closed after its connection ended must not add to a WaitGroup that is
// being waited on.
func (cs *connState) go_(f func()) bool {
	cs.wgMu.Lock()
	defer cs.wgMu.Unlock()
	if cs.stopped {
		return false
	}
	cs.wg.Add(1)
	go func() {
		defer cs.wg.Done()
		f()
	}()
	return true
}

// wait waits for every goroutine of the connection; none starts after it
// began.
func (cs *connState) wait() {
	cs.wgMu.Lock()
	cs.stopped = true
	cs.wgMu.Unlock()
	cs.wg.Wait()
}

// Exporter is the connection binding value: the TLS exporter with label
// EXPORTER-SSH3, empty context, 32 bytes (§2.6).
func (cs *connState) Exporter() ([]byte, error) {
	cs.expOnce.Do(func() {
		tlsState := cs.qc.ConnectionState().TLS
		cs.exporter, cs.expErr = tlsState.ExportKeyingMaterial(exporterLabel, nil, exporterLen)
		if cs.expErr != nil {
			cs.expErr = errors.New("conn: TLS exporter: " + cs.expErr.Error())
		}
	})
	return cs.exporter, cs.expErr
}

// closeWith ends the connection with an HTTP/3 code.
func (cs *connState) closeWith(code Code, msg string) {
	cs.log.Debug("closing connection", "code", code.String(), "reason", msg)
	_ = cs.qc.CloseWithError(quic.ApplicationErrorCode(code), msg)
}

// onLost ends every conversation when the connection goes away.
func (cs *connState) onLost() {
	err := lostError(context.Cause(cs.qc.Context()))
	cs.mu.Lock()
	cs.lostErr = err
	convs := make([]*Conversation, 0, len(cs.convs))
	for _, c := range cs.convs {
		convs = append(convs, c)
	}
	cs.mu.Unlock()
	for _, c := range convs {
		c.closeWith(err, false)
	}
}

func lostError(cause error) error {
	if cause == nil {
		cause = errors.New("connection closed")
	}
	err := translate(cause)
	var le *LostError
	if errors.As(err, &le) {
		return le
	}
	return &LostError{Err: err}
}

// lost reports the error of a connection that is gone, or nil.
func (cs *connState) lost() error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.lostErr
}

// uniLoop accepts the peer's unidirectional streams: the control stream is
// ours to parse (Option A, §8.7); every other type goes to http3.
func (cs *connState) uniLoop() {
	for {
		str, err := cs.qc.AcceptUniStream(cs.qc.Context())
		if err != nil {
			return
		}
		cs.go_(func() { cs.handleUni(str) })
	}
}

func (cs *connState) handleUni(str *quic.ReceiveStream) {
	_ = str.SetReadDeadline(time.Now().Add(10 * time.Second))
	typ, err := quicvarint.Peek(str)
	_ = str.SetReadDeadline(time.Time{})
	if err != nil || typ != h3.StreamTypeControl {
		cs.uni.HandleUnidirectionalStream(str)
		return
	}
	if !cs.ctrl.Claim() {
		cs.closeWith(CodeStreamCreationError, "duplicate control stream")
		return
	}
	var b [1]byte
	if _, err := str.Read(b[:]); err != nil {
		return
	}
	supports := cs.qc.ConnectionState().SupportsDatagrams.Remote
	serr := cs.ctrl.Read(str, supports)
	if cs.qc.Context().Err() != nil {
		return
	}
	cs.closeWith(Code(serr.Code), serr.Msg)
}

// conversation finds a conversation on this connection.
func (cs *connState) conversation(id uint64) *Conversation {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.convs[id]
}

func (cs *connState) addConversation(c *Conversation) {
	cs.mu.Lock()
	cs.convs[c.ID()] = c
	cs.mu.Unlock()
}

func (cs *connState) removeConversation(id uint64, c *Conversation) {
	cs.mu.Lock()
	if cs.convs[id] == c {
		delete(cs.convs, id)
	}
	cs.mu.Unlock()
}

// conversationCount is the number of live conversations.
func (cs *connState) conversationCount() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.convs)
}

// setDatagramProfile fixes the datagram layout of the connection; it fails
// when another profile already owns it (the layouts cannot be told apart).
func (cs *connState) setDatagramProfile(p *frame.Profile) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.dgramProfile == nil {
		cs.dgramProfile = p
	}
	return cs.dgramProfile == p
}

func (cs *connState) addUDP(ch *Channel) {
	cs.mu.Lock()
	cs.udp[ch.id] = ch
	cs.mu.Unlock()
}

func (cs *connState) removeUDP(ch *Channel) {
	cs.mu.Lock()
	if cs.udp[ch.id] == ch {
		delete(cs.udp, ch.id)
	}
	cs.mu.Unlock()
}

// uniHandler is http3's entry point for the uni streams we do not keep.
type uniHandler interface {
	HandleUnidirectionalStream(*quic.ReceiveStream)
}

var (
	_ uniHandler = (*http3.RawServerConn)(nil)
	_ uniHandler = (*http3.RawClientConn)(nil)
)
