package conn

import (
	"errors"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"github.com/quic-go/quic-go/quicvarint"

	"github.com/ssh3-project/ssh3/conn/internal/h3"
	"github.com/ssh3-project/ssh3/frame"
)

// serverConn serves one QUIC connection: its own accept loops in front of
// http3's raw server connection (§8.2, §8.7).
type serverConn struct {
	*connState
	srv *Server
	rc  *http3.RawServerConn
	reg *registry

	login     sync.Once   // the connection leaves the startup gate
	leaveGate func()      // set by watchLogin
	grace     *time.Timer // closes an unauthenticated connection
}

// watchLogin counts the connection as unauthenticated at gate until its
// first conversation is established or it ends, and closes it when grace
// passes first (sshd's LoginGraceTime).
func (sc *serverConn) watchLogin(gate *startupGate, grace time.Duration) {
	sc.leaveGate = gate.leave
	if grace > 0 {
		sc.grace = time.AfterFunc(grace, func() {
			sc.log.Info("connection closed: no authentication within the login grace time",
				"remote", sc.qc.RemoteAddr().String(), "grace", grace.String())
			sc.closeWith(CodeNoError, "login grace time exceeded")
		})
	}
}

// loggedIn takes the connection out of the startup count and stops its
// grace timer; called on the first established conversation and when the
// connection ends, whichever comes first.
func (sc *serverConn) loggedIn() {
	sc.login.Do(func() {
		if sc.grace != nil {
			sc.grace.Stop()
		}
		if sc.leaveGate != nil {
			sc.leaveGate()
		}
	})
}

func (s *Server) newServerConn(qc *quic.Conn) (*serverConn, error) {
	sc := &serverConn{
		connState: newConnState(qc, true, s.logger()),
		srv:       s,
		reg:       newRegistry(s.earlyStreamTimeout(), s.maxConversations()),
	}
	sc.reg.onBuffered = s.testOnBuffered
	sc.reg.onHeld = s.testOnHeld
	hs := &http3.Server{
		Handler:         sc,
		EnableDatagrams: true,
		MaxHeaderBytes:  s.maxHeaderBytes(),
		Logger:          s.Logger,
	}
	if !s.StockSettings {
		// Clients may pipeline channels behind their CONNECT (§2.7, G17).
		hs.AdditionalSettings = map[uint64]uint64{h3.SettingEarlyChannels: maxBufferedPerConversation}
	}
	rc, err := hs.NewRawServerConn(qc)
	if err != nil {
		return nil, translate(err)
	}
	sc.rc = rc
	sc.uni = rc
	return sc, nil
}

// start runs the connection's loops; each exits when the connection ends.
func (sc *serverConn) start() {
	sc.go_(sc.uniLoop)
	sc.go_(sc.datagramLoop)
	sc.go_(sc.bidiLoop)
}

// bidiLoop accepts request and channel streams, in stream-ID order, and
// serves each in its own goroutine (accept order is not byte order, §8.7).
func (sc *serverConn) bidiLoop() {
	for {
		str, err := sc.qc.AcceptStream(sc.qc.Context())
		if err != nil {
			return
		}
		sc.reg.accepted(uint64(str.StreamID()))
		sc.go_(func() { sc.handleBidi(str) })
	}
}

// handleBidi peeks the first varint: a served profile's channel signal makes
// the stream a channel; anything else is an HTTP/3 request (§3.2).
func (sc *serverConn) handleBidi(str *quic.Stream) {
	id := uint64(str.StreamID())
	_ = str.SetReadDeadline(time.Now().Add(sc.srv.headerTimeout()))
	v, err := quicvarint.Peek(str)
	if err == nil {
		if p, ok := frame.ProfileBySignal(v); ok && sc.srv.serves(p) {
			sc.reg.forget(id)
			sc.acceptChannel(str)
			return
		}
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		resetStream(str, CodeRequestIncomplete)
		sc.reg.requestDone(id)
		return
	}
	if err == nil && v == h3.FrameHeaders && sc.badScheme(str) {
		sc.reg.requestDone(id)
		return
	}
	// The deadline stays set while http3 reads the HEADERS frame, however
	// slowly it comes; ServeHTTP clears it once the request is whole.
	sc.rc.HandleRequestStream(str)
	sc.reg.requestDone(id)
}

// badScheme answers 400 to an Extended CONNECT for a served :protocol on
// the secret path whose :scheme is not https (X-ROB-3).
func (sc *serverConn) badScheme(str *quic.Stream) bool {
	ph, err := h3.PeekHeaders(str)
	if err != nil || ph[":method"] != "CONNECT" {
		return false
	}
	p := sc.srv.profileByProtocol(ph[":protocol"])
	if p == nil {
		return false
	}
	path, _, _ := strings.Cut(ph[":path"], "?")
	if path != sc.srv.path() || ph[":scheme"] == "https" || ph[":authority"] == "" {
		return false
	}
	server := ""
	if p == frame.Alpha {
		server = p.ServerVersion(softwareOrDefault(sc.srv.Software), sc.srv.Caps)
	}
	_, _ = str.Write(h3.BadRequestFrame(server))
	_ = str.Close()
	str.CancelRead(quic.StreamErrorCode(CodeNoError))
	return true
}

// acceptChannel reads a channel header and routes the channel. A header
// that does not decode resets this stream only (H3_MESSAGE_ERROR); one that
// never completes is reset when the read deadline passes (X-ROB-20, 21).
func (sc *serverConn) acceptChannel(str *quic.Stream) {
	max := sc.srv.maxMessageSize()
	r := frame.NewReader(str, nil, max)
	h, p, err := r.ReadHeader()
	if err != nil {
		code := CodeMessageError
		if errors.Is(err, os.ErrDeadlineExceeded) {
			code = CodeRequestIncomplete
		}
		sc.log.Debug("channel header refused", "stream", uint64(str.StreamID()), "error", err)
		resetStream(str, code)
		return
	}
	if h.MaxMessageSize < frame.MinMaxMessageSize {
		resetStream(str, CodeMessageError)
		return
	}
	_ = str.SetReadDeadline(time.Time{})
	r.SetLimits(p, p.AcceptedSize(max))
	ch := newChannel(sc.connState, str, h, p, false, max)
	ch.r = r
	sc.reg.route(ch)
}
