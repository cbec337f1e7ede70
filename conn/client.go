package conn

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"github.com/quic-go/quic-go/qlog"
	"github.com/quic-go/quic-go/quicvarint"

	"github.com/ssh3-project/ssh3/frame"
)

// Client defaults.
const (
	DefaultKeepAlive       = 5 * time.Second
	DefaultSettingsTimeout = 5 * time.Second
	// alphaIncomingStreams is how many server-opened (agent) channels an
	// ssh3-alpha client allows at once; the reference uses 10 (§2.1).
	alphaIncomingStreams = 10
)

// Config configures Dial.
type Config struct {
	Profile   *frame.Profile // frame.Alpha if nil
	TLSConfig *tls.Config    // ServerName is the SNI; defaults to addr's host
	Path      string         // the secret path; DefaultPath if empty
	Authority string         // :authority; addr if empty
	User      string         // sent as ?user=, percent-encoded

	// Authorization returns the Authorization header value. It is called
	// after the handshake with the connection's EXPORTER-SSH3 value, so a
	// token can be bound to the connection (§2.6, G14).
	Authorization func(ctx context.Context, exporter []byte) (string, error)

	Software       frame.Software // DefaultSoftware if empty
	Caps           frame.Caps     // announced in the ssh3-alpha user-agent (§6.3)
	MaxMessageSize uint64         // the largest message accepted; 30000 if 0
	MaxChannels    int

	KeepAlivePeriod time.Duration // DefaultKeepAlive if 0
	IdleTimeout     time.Duration // DefaultIdleTimeout if 0
	SettingsTimeout time.Duration // rth3-00: how long to wait for SETTINGS

	QUICConfig   *quic.Config // overrides the default QUIC configuration
	Logger       *slog.Logger // default: discard
	KeyLogWriter io.Writer    // TLS key log, for debugging only

	// PacketConn, when set, carries the connection instead of a new UDP
	// socket, to RemoteAddr (proxy jump, §5.4); Dial does not close it.
	PacketConn net.PacketConn
	RemoteAddr net.Addr
	// InitialPacketSize overrides QUIC's first packet size: a jump host's
	// connection carries whole QUIC packets of the next hop in its
	// datagrams, so it needs room beyond 1200 bytes from the start.
	InitialPacketSize uint16

	testPreConnect func(*http3.RawClientConn) // test hook: runs before the CONNECT
}

func (cfg *Config) profile() *frame.Profile {
	if cfg.Profile == nil {
		return frame.Alpha
	}
	return cfg.Profile
}

func (cfg *Config) maxMessageSize() uint64 {
	if cfg.MaxMessageSize == 0 {
		return frame.DefaultMaxMessageSize
	}
	return max(cfg.MaxMessageSize, frame.MinMaxMessageSize)
}

func (cfg *Config) logger() *slog.Logger {
	if cfg.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return cfg.Logger
}

func (cfg *Config) quicConfig(p *frame.Profile) *quic.Config {
	var c *quic.Config
	if cfg.QUICConfig != nil {
		c = cfg.QUICConfig.Clone()
	} else {
		c = &quic.Config{KeepAlivePeriod: DefaultKeepAlive, MaxIdleTimeout: DefaultIdleTimeout}
		if cfg.KeepAlivePeriod != 0 {
			c.KeepAlivePeriod = cfg.KeepAlivePeriod
		}
		if cfg.IdleTimeout != 0 {
			c.MaxIdleTimeout = cfg.IdleTimeout
		}
	}
	c.EnableDatagrams = true
	if c.MaxIncomingStreams == 0 {
		c.MaxIncomingStreams = -1 // RFC 9114 §6.1: no server-opened bidi streams
		if p.ServerOpensChannels() {
			c.MaxIncomingStreams = alphaIncomingStreams
		}
	}
	if c.Tracer == nil {
		c.Tracer = qlog.DefaultConnectionTracer // nil trace unless QLOGDIR is set
	}
	return c
}

func (cfg *Config) tlsConfig(addr string) *tls.Config {
	var c *tls.Config
	if cfg.TLSConfig != nil {
		c = cfg.TLSConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	c.NextProtos = []string{http3.NextProtoH3}
	if c.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			c.ServerName = host
		}
	}
	if cfg.KeyLogWriter != nil {
		c.KeyLogWriter = cfg.KeyLogWriter
	}
	return c
}

// clientConn is the client's side of one QUIC connection.
type clientConn struct {
	*connState
	cc      *http3.RawClientConn
	cfg     *Config
	profile *frame.Profile
	addr    string
}

// Dial connects to addr and sends the Extended CONNECT. It returns as soon
// as the CONNECT has been sent, without waiting for the response
// (pipelining, §8.7): channels opened at once leave in the same flight, and
// Established reports the outcome. ssh3-alpha never waits for the server's
// SETTINGS (§2.2); rth3-00 waits for them, bounded, and requires
// SETTINGS_ENABLE_CONNECT_PROTOCOL (H-9220-1).
//
// A 425 (Too Early) is retried once, on a new CONNECT stream of the same
// connection: the conversation ID changes, and channels opened before the
// retry end with ErrRetried. The client never sends the CONNECT in 0-RTT,
// so this only happens when the server saw it before its handshake ended.
func Dial(ctx context.Context, addr string, cfg *Config) (*Conversation, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	p := cfg.profile()
	qc, err := cfg.dialQUIC(ctx, addr, p)
	if err != nil {
		return nil, translate(err)
	}
	h3 := &http3.Transport{EnableDatagrams: true, DisableCompression: true, Logger: cfg.Logger}
	cl := &clientConn{
		connState: newConnState(qc, false, cfg.logger()),
		cc:        h3.NewRawClientConn(qc),
		cfg:       cfg,
		profile:   p,
		addr:      addr,
	}
	cl.uni = cl.cc
	cl.dgramProfile = p
	cl.go_(cl.uniLoop)
	cl.go_(cl.datagramLoop)
	cl.go_(cl.bidiLoop)
	if p.RequiresConnectSetting() {
		if err := cl.awaitSettings(ctx); err != nil {
			cl.closeWith(CodeNoError, "")
			cl.wait()
			return nil, err
		}
	}
	c := newConversation(cl.connState, p, false, cfg.maxMessageSize(), cfg.MaxChannels)
	c.onClose = func(c *Conversation) {
		cl.removeConversation(c.ID(), c)
		cl.closeWith(CodeNoError, "")
	}
	if cfg.testPreConnect != nil {
		cfg.testPreConnect(cl.cc)
	}
	rs, err := cl.sendConnect(ctx, c)
	if err != nil {
		cl.closeWith(CodeNoError, "")
		cl.wait()
		return nil, err
	}
	cl.go_(func() { cl.await(c, rs) })
	return c, nil
}

// awaitSettings waits for the server's SETTINGS, parsed by our own control
// stream reader (§8.7), and requires extended CONNECT.
func (cl *clientConn) awaitSettings(ctx context.Context) error {
	t := cl.cfg.SettingsTimeout
	if t <= 0 {
		t = DefaultSettingsTimeout
	}
	timer := time.NewTimer(t)
	defer timer.Stop()
	select {
	case <-cl.ctrl.Received():
	case <-timer.C:
		return errors.New("conn: no SETTINGS from the server")
	case <-ctx.Done():
		return ctx.Err()
	case <-cl.qc.Context().Done():
		return lostError(context.Cause(cl.qc.Context()))
	}
	if !cl.ctrl.Settings().ExtendedConnect {
		return errors.New("conn: server did not enable extended CONNECT (RFC 9220)")
	}
	return nil
}

// sendConnect opens a request stream and sends the CONNECT (§2.3).
func (cl *clientConn) sendConnect(ctx context.Context, c *Conversation) (*http3.RequestStream, error) {
	p := cl.profile
	rs, err := cl.cc.OpenRequestStream(ctx)
	if err != nil {
		return nil, translate(err)
	}
	var authz string
	if cl.cfg.Authorization != nil {
		exp, err := cl.Exporter()
		if err == nil {
			authz, err = cl.cfg.Authorization(ctx, exp)
		}
		if err != nil {
			rs.CancelWrite(quic.StreamErrorCode(CodeRequestCancelled))
			rs.CancelRead(quic.StreamErrorCode(CodeRequestCancelled))
			return nil, err
		}
	}
	authority := cl.cfg.Authority
	if authority == "" {
		authority = cl.addr
	}
	path := cl.cfg.Path
	if path == "" {
		path = DefaultPath
	}
	u := &url.URL{Scheme: "https", Host: authority, Path: path, RawQuery: "user=" + url.QueryEscape(cl.cfg.User)}
	req := &http.Request{Method: http.MethodConnect, Proto: p.Protocol(), URL: u, Host: authority, Header: http.Header{}}
	req.Header.Set(p.RequestVersionHeader(), p.ClientVersion(softwareOrDefault(cl.cfg.Software), cl.cfg.Caps))
	if p != frame.Alpha {
		req.Header["User-Agent"] = []string{""} // no Go default user-agent
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	c.mu.Lock()
	c.id = uint64(rs.StreamID())
	c.ctrl = rs
	c.mu.Unlock()
	cl.addConversation(c)
	if err := rs.SendRequestHeader(req); err != nil {
		cl.removeConversation(c.ID(), c)
		return nil, translate(err)
	}
	return rs, nil
}

// await reads the CONNECT's response, settles Established, and then
// watches the CONNECT stream for the conversation's end.
func (cl *clientConn) await(c *Conversation, rs *http3.RequestStream) {
	retried := false
	for {
		rsp, err := rs.ReadResponse()
		if err != nil {
			if lost := cl.lost(); lost != nil || cl.qc.Context().Err() != nil {
				c.closeWith(lostError(context.Cause(cl.qc.Context())), false)
				return
			}
			c.closeWith(translate(err), true)
			return
		}
		if rsp.StatusCode == http.StatusTooEarly && !retried {
			retried = true
			if rs = cl.retry(c); rs != nil {
				continue
			}
			return
		}
		if rsp.StatusCode >= 200 && rsp.StatusCode < 300 {
			pv, err := cl.profile.CheckServerVersion(rsp.Header.Get(cl.profile.ResponseVersionHeader()))
			if err != nil {
				c.closeWith(err, true)
				return
			}
			c.mu.Lock()
			c.peer = frame.NewPeer(cl.profile, pv.Caps)
			c.mu.Unlock()
			c.setEstablished(nil)
			c.watch(rsp.Body)
			return
		}
		_ = rs.SetReadDeadline(time.Now().Add(2 * time.Second))
		body, _ := io.ReadAll(io.LimitReader(rsp.Body, 512))
		c.closeWith(&StatusError{StatusCode: rsp.StatusCode, Header: rsp.Header, Body: string(body)}, true)
		return
	}
}

// retry sends the CONNECT again after a 425, dropping the channels that
// named the first CONNECT stream.
func (cl *clientConn) retry(c *Conversation) *http3.RequestStream {
	c.mu.Lock()
	chans := c.channels
	c.channels = map[uint64]*Channel{}
	old := c.ctrl
	c.mu.Unlock()
	for _, ch := range chans {
		ch.endWith(ErrRetried)
	}
	if old != nil {
		_ = old.Close()
		old.CancelRead(quic.StreamErrorCode(CodeNoError))
	}
	cl.removeConversation(c.ID(), c)
	select {
	case <-cl.ctrl.GoAway(): // the server wants no new requests (RFC 9114 §5.2)
		c.closeWith(&StatusError{StatusCode: http.StatusTooEarly}, false)
		return nil
	default:
	}
	ctx, cancel := context.WithTimeout(cl.qc.Context(), 10*time.Second)
	defer cancel()
	rs, err := cl.sendConnect(ctx, c)
	if err != nil {
		c.closeWith(err, false)
		return nil
	}
	return rs
}

// bidiLoop accepts server-opened streams: in ssh3-alpha, agent channels of
// our conversation (§5.3); anything else goes to http3, which closes the
// connection with H3_STREAM_CREATION_ERROR (RFC 9114 §6.1, H-9114-2).
func (cl *clientConn) bidiLoop() {
	for {
		str, err := cl.qc.AcceptStream(cl.qc.Context())
		if err != nil {
			return
		}
		cl.go_(func() { cl.handleBidi(str) })
	}
}

func (cl *clientConn) handleBidi(str *quic.Stream) {
	p := cl.profile
	if !p.ServerOpensChannels() {
		cl.cc.HandleBidirectionalStream(str)
		return
	}
	_ = str.SetReadDeadline(time.Now().Add(DefaultHeaderTimeout))
	v, err := quicvarint.Peek(str)
	if err != nil || v != p.Signal() {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			resetStream(str, CodeRequestIncomplete)
			return
		}
		cl.cc.HandleBidirectionalStream(str)
		return
	}
	max := cl.cfg.maxMessageSize()
	r := frame.NewReader(str, nil, max)
	h, hp, err := r.ReadHeader()
	if err != nil || h.MaxMessageSize < frame.MinMaxMessageSize {
		resetStream(str, CodeMessageError)
		return
	}
	_ = str.SetReadDeadline(time.Time{})
	c := cl.conversation(h.Conversation)
	if c == nil {
		resetStream(str, CodeRequestRejected)
		return
	}
	r.SetLimits(hp, hp.AcceptedSize(max))
	ch := newChannel(cl.connState, str, h, hp, false, max)
	ch.r = r
	c.deliver(ch)
}
