package conn

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"github.com/quic-go/quic-go/qlog"

	"github.com/ssh3-project/ssh3/frame"
)

// Defaults of the Server's limits.
const (
	DefaultPath                    = "/ssh3-term"
	DefaultMaxConversationsPerConn = 4
	DefaultEarlyStreamTimeout      = 5 * time.Second
	DefaultHeaderTimeout           = 10 * time.Second
	DefaultIdleTimeout             = 30 * time.Second
	DefaultMaxHeaderBytes          = 32 << 10
)

// DefaultSoftware names this implementation in version headers when a
// Server or Config leaves Software empty (§2.4).
var DefaultSoftware = frame.Software{Name: "ssh3-project/ssh3", Version: "0.1.0"}

func softwareOrDefault(sw frame.Software) frame.Software {
	if sw.Name == "" || sw.Version == "" {
		return DefaultSoftware
	}
	return sw
}

// Handler serves a conversation. The conversation ends when
// ServeConversation returns, as a net/http request ends with its handler.
type Handler interface {
	ServeConversation(c *Conversation)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(c *Conversation)

// ServeConversation calls f.
func (f HandlerFunc) ServeConversation(c *Conversation) { f(c) }

// Server is an SSH3 server: a QUIC listener of its own in front of http3,
// serving both profiles on one address and path (the :protocol token picks,
// §1). The zero value plus TLSConfig, Authenticator and Handler is usable.
type Server struct {
	TLSConfig     *tls.Config
	Path          string           // the secret path, exact match; DefaultPath if empty
	Profiles      []*frame.Profile // served profiles; both if empty
	Authenticator Authenticator
	Handler       Handler
	Software      frame.Software // named in version headers (§2.4); DefaultSoftware if empty
	Caps          frame.Caps     // announced in the ssh3-alpha server header (§6.3)

	MaxConversationsPerConn int    // G12; DefaultMaxConversationsPerConn if 0
	MaxChannels             int    // per conversation; DefaultMaxChannels if 0
	MaxMessageSize          uint64 // the largest message accepted; 30000 if 0 (§3.4)
	MaxHeaderBytes          int    // request header limit; DefaultMaxHeaderBytes if 0
	NoWWWAuthenticate       bool   // suppress WWW-Authenticate on 401 (G15)
	// StockSettings sends SETTINGS as a stock HTTP/3 server does, without
	// the early-channels setting (§2.7): the server is then harder to tell
	// from a web server, and clients wait for the 200 before opening
	// channels (one round trip more).
	StockSettings      bool
	EarlyStreamTimeout time.Duration
	HeaderTimeout      time.Duration // bound on reading a stream's first bytes

	// MaxStartups bounds the connections not yet authenticated (sshd's
	// MaxStartups); DefaultStartups if zero.
	MaxStartups Startups
	// LoginGraceTime closes a connection that has established no
	// conversation by then (sshd's LoginGraceTime); DefaultLoginGraceTime
	// if 0, none if negative.
	LoginGraceTime time.Duration

	QUICConfig   *quic.Config // overrides the default QUIC configuration
	Logger       *slog.Logger // default: discard
	KeyLogWriter io.Writer    // TLS key log, for debugging only

	testOnBuffered func(*Channel) // test hook, see registry.onBuffered
	testOnHeld     func(*Channel) // test hook, see registry.onHeld
	testAnswered   func()         // test hook: the 200 has left, establish has not run
	testTooEarly   func() bool    // test hook: treat a CONNECT as early data
	testOnGate     func(bool)     // test hook: a connection was admitted (true) or refused

	gateOnce sync.Once
	gate     *startupGate // set by startups

	mu        sync.Mutex // guards the fields below
	listeners map[*quic.EarlyListener]*quic.Transport
	conns     map[*serverConn]struct{}
	closed    bool
	handlers  sync.WaitGroup // ServeConversation goroutines
	connWG    sync.WaitGroup // connection goroutines
}

func (s *Server) path() string {
	if s.Path == "" {
		return DefaultPath
	}
	return s.Path
}

func (s *Server) profiles() []*frame.Profile {
	if len(s.Profiles) == 0 {
		return frame.Profiles()
	}
	return s.Profiles
}

func (s *Server) serves(p *frame.Profile) bool {
	for _, q := range s.profiles() {
		if q == p {
			return true
		}
	}
	return false
}

func (s *Server) profileByProtocol(token string) *frame.Profile {
	p, ok := frame.ProfileByProtocol(token)
	if !ok || !s.serves(p) {
		return nil
	}
	return p
}

func (s *Server) maxMessageSize() uint64 {
	if s.MaxMessageSize == 0 {
		return frame.DefaultMaxMessageSize
	}
	return max(s.MaxMessageSize, frame.MinMaxMessageSize)
}

func (s *Server) maxHeaderBytes() int {
	if s.MaxHeaderBytes <= 0 {
		return DefaultMaxHeaderBytes
	}
	return s.MaxHeaderBytes
}

func (s *Server) maxConversations() int {
	if s.MaxConversationsPerConn <= 0 {
		return DefaultMaxConversationsPerConn
	}
	return s.MaxConversationsPerConn
}

func (s *Server) earlyStreamTimeout() time.Duration {
	if s.EarlyStreamTimeout <= 0 {
		return DefaultEarlyStreamTimeout
	}
	return s.EarlyStreamTimeout
}

func (s *Server) headerTimeout() time.Duration {
	if s.HeaderTimeout <= 0 {
		return DefaultHeaderTimeout
	}
	return s.HeaderTimeout
}

// startups is the server's gate for unauthenticated connections.
func (s *Server) startups() *startupGate {
	s.gateOnce.Do(func() {
		st := s.MaxStartups
		if st == (Startups{}) {
			st = DefaultStartups
		}
		s.gate = newStartupGate(st)
	})
	return s.gate
}

func (s *Server) loginGraceTime() time.Duration {
	if s.LoginGraceTime == 0 {
		return DefaultLoginGraceTime
	}
	return s.LoginGraceTime
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Server) quicConfig() *quic.Config {
	var c *quic.Config
	if s.QUICConfig != nil {
		c = s.QUICConfig.Clone()
	} else {
		c = &quic.Config{MaxIdleTimeout: DefaultIdleTimeout, MaxIncomingStreams: 100, MaxIncomingUniStreams: 100}
	}
	c.EnableDatagrams = true
	c.Allow0RTT = true
	if c.Tracer == nil {
		c.Tracer = qlog.DefaultConnectionTracer // nil trace unless QLOGDIR is set
	}
	return c
}

func (s *Server) tlsConfig() (*tls.Config, error) {
	if s.TLSConfig == nil {
		return nil, errors.New("conn: Server.TLSConfig is nil")
	}
	c := http3.ConfigureTLSConfig(s.TLSConfig)
	if s.KeyLogWriter != nil {
		c.KeyLogWriter = s.KeyLogWriter
	}
	return c, nil
}

// ListenAndServe listens on the UDP address addr and serves it.
func (s *Server) ListenAndServe(addr string) error {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return err
	}
	pc, err := net.ListenUDP("udp", ua)
	if err != nil {
		return err
	}
	defer pc.Close()
	return s.Serve(pc)
}

// Serve accepts connections on pc until Close or Shutdown, and then returns
// ErrServerClosed. The caller keeps ownership of pc.
func (s *Server) Serve(pc net.PacketConn) error {
	tlsConf, err := s.tlsConfig()
	if err != nil {
		return err
	}
	tr := &quic.Transport{Conn: pc}
	ln, err := tr.ListenEarly(tlsConf, s.quicConfig())
	if err != nil {
		return translate(err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ln.Close()
		_ = tr.Close()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = map[*quic.EarlyListener]*quic.Transport{}
	}
	s.listeners[ln] = tr
	s.mu.Unlock()
	for {
		qc, err := ln.Accept(context.Background())
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			return translate(err)
		}
		s.serveConn(qc)
	}
}

// refuseConn closes a connection the startup gate refused with
// H3_EXCESSIVE_LOAD. Closed before its handshake completes, the code would
// reach the client as a bare transport APPLICATION_ERROR (RFC 9000
// §10.2.3), so it waits for the handshake, at most bound.
func refuseConn(qc *quic.Conn, bound time.Duration) {
	t := time.NewTimer(bound)
	defer t.Stop()
	select {
	case <-qc.HandshakeComplete():
	case <-qc.Context().Done():
	case <-t.C:
	}
	_ = qc.CloseWithError(quic.ApplicationErrorCode(CodeExcessiveLoad), "too many unauthenticated connections")
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) serveConn(qc *quic.Conn) {
	gate := s.startups()
	admitted := gate.admit()
	if s.testOnGate != nil {
		s.testOnGate(admitted)
	}
	if !admitted {
		s.logger().Info("connection refused: too many unauthenticated connections",
			"remote", qc.RemoteAddr().String(), "max_startups", gate.limits.String())
		go refuseConn(qc, s.headerTimeout())
		return
	}
	sc, err := s.newServerConn(qc)
	if err != nil {
		gate.leave()
		_ = qc.CloseWithError(quic.ApplicationErrorCode(CodeInternalError), "")
		return
	}
	sc.watchLogin(gate, s.loginGraceTime())
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sc.closeWith(CodeNoError, "server closed")
		return
	}
	if s.conns == nil {
		s.conns = map[*serverConn]struct{}{}
	}
	s.conns[sc] = struct{}{}
	s.connWG.Add(1)
	s.mu.Unlock()
	sc.start()
	go func() {
		defer s.connWG.Done()
		<-qc.Context().Done()
		sc.loggedIn()
		sc.reg.stop()
		sc.wait()
		s.mu.Lock()
		delete(s.conns, sc)
		s.mu.Unlock()
	}()
}

// runHandler runs the Handler for c; when it returns, c ends.
//
// Add happens under mu and never once the server is closed: Shutdown's
// Wait must not race an Add (sync.WaitGroup). A conversation established
// while the server shuts down is ended at once instead.
func (s *Server) runHandler(c *Conversation) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.closeWith(ErrServerClosed, true)
		return
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.handlers.Done()
		defer c.Close()
		if s.Handler != nil {
			s.Handler.ServeConversation(c)
		}
	}()
}

// Close stops the server at once: listeners close, and every connection is
// closed with H3_NO_ERROR. Serve returns ErrServerClosed.
func (s *Server) Close() error {
	conns := s.stopAccepting()
	for _, sc := range conns {
		sc.closeWith(CodeNoError, "server closed")
	}
	s.connWG.Wait()
	s.closeTransports()
	return nil
}

// Shutdown stops the server gracefully: it stops accepting connections and
// conversations, FINs every conversation's CONNECT stream (no GOAWAY can be
// sent on a raw connection, §8.5), waits for handlers and peers until ctx
// ends, then closes every connection with H3_NO_ERROR.
func (s *Server) Shutdown(ctx context.Context) error {
	conns := s.stopAccepting()
	for _, sc := range conns {
		sc.reg.stop()
		sc.mu.Lock()
		convs := make([]*Conversation, 0, len(sc.convs))
		for _, c := range sc.convs {
			convs = append(convs, c)
		}
		sc.mu.Unlock()
		for _, c := range convs {
			c.closeWith(ErrServerClosed, true)
		}
	}
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	for _, sc := range conns {
		sc.closeWith(CodeNoError, "server shut down")
	}
	s.connWG.Wait()
	<-done
	s.closeTransports()
	return err
}

func (s *Server) stopAccepting() []*serverConn {
	s.mu.Lock()
	s.closed = true
	for ln := range s.listeners {
		_ = ln.Close()
	}
	conns := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		conns = append(conns, sc)
	}
	s.mu.Unlock()
	return conns
}

func (s *Server) closeTransports() {
	s.mu.Lock()
	trs := make([]*quic.Transport, 0, len(s.listeners))
	for _, tr := range s.listeners {
		trs = append(trs, tr)
	}
	s.listeners = nil
	s.mu.Unlock()
	for _, tr := range trs {
		_ = tr.Close()
	}
}
