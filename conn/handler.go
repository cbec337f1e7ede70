package conn

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/ssh3-project/ssh3/frame"
)

var _ http.Handler = (*serverConn)(nil)

// ServeHTTP answers the requests of one connection. The order of checks is
// spec §2.5 with the G9 and G13 decisions: path (404, the stock answer) →
// method and :protocol (404 / 501) → :scheme (400, checked before http3
// sees the stream, see preflight.go) → early data (425) → version (403) →
// conversation cap (429) → authentication (401) → one profile per
// connection (400) → 200.
func (sc *serverConn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := sc.srv
	// The request's headers are in: the header deadline handleBidi set
	// is done with. What follows is bounded by the authenticator's own.
	if d, ok := w.(interface{ SetReadDeadline(time.Time) error }); ok {
		_ = d.SetReadDeadline(time.Time{})
	}
	if r.URL.Path != s.path() || r.Method != http.MethodConnect {
		http.NotFound(w, r)
		return
	}
	p := s.profileByProtocol(r.Proto)
	if p == nil {
		if r.Proto == "" || r.Proto == "HTTP/3.0" { // a classic CONNECT
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusNotImplemented)
		return
	}
	if r.TLS == nil || !r.TLS.HandshakeComplete || (s.testTooEarly != nil && s.testTooEarly()) {
		sc.refuse(w, p, http.StatusTooEarly, "")
		return
	}
	sw := softwareOrDefault(s.Software)
	values := r.Header.Values(p.RequestVersionHeader())
	pv, err := p.AcceptVersion(strings.Join(values, ", "), len(values) > 0)
	if err != nil {
		w.Header().Set(p.ResponseVersionHeader(), p.SupportedVersions(sw))
		body := fmt.Sprintf("Unsupported version: %s not supported by server with version %s\n",
			strings.Join(values, ", "), p.SupportedVersions(sw))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(body))
		return
	}
	if !sc.reg.reserve() {
		sc.refuse(w, p, http.StatusTooManyRequests, "")
		return
	}
	id, ok := sc.authenticate(w, r, p, pv)
	if !ok {
		sc.reg.unreserve()
		return
	}
	// The two datagram layouts cannot be told apart, so the first
	// conversation fixes the profile of its connection.
	if !sc.setDatagramProfile(p) {
		sc.reg.unreserve()
		sc.refuse(w, p, http.StatusBadRequest, "one profile per connection\n")
		return
	}
	sc.establish(w, r, p, pv, id)
}

// refuse answers a CONNECT that got past the path check; in ssh3-alpha
// every such response carries a well-formed server header (§2.4).
func (sc *serverConn) refuse(w http.ResponseWriter, p *frame.Profile, status int, body string) {
	if p != nil && p == frame.Alpha {
		w.Header().Set(p.ResponseVersionHeader(), p.ServerVersion(softwareOrDefault(sc.srv.Software), sc.srv.Caps))
	}
	if body != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(status)
	if body != "" {
		_, _ = w.Write([]byte(body))
	}
}

// authenticate runs the Authenticator; any failure is the same 401, with
// WWW-Authenticate unless suppressed (G15).
func (sc *serverConn) authenticate(w http.ResponseWriter, r *http.Request, p *frame.Profile, pv frame.PeerVersion) (Identity, bool) {
	s := sc.srv
	exp, err := sc.Exporter()
	if err == nil && s.Authenticator != nil {
		var id Identity
		id, err = s.Authenticator.Authenticate(r.Context(), &AuthRequest{
			Profile:       p,
			Authorization: r.Header.Get("Authorization"),
			User:          r.URL.Query().Get("user"),
			Exporter:      exp,
			RemoteAddr:    sc.qc.RemoteAddr(),
			Header:        r.Header,
			PeerVersion:   pv,
		})
		if err == nil {
			return id, true
		}
	}
	if s.Authenticator == nil {
		err = fmt.Errorf("conn: no authenticator configured")
	}
	sc.log.Debug("authentication failed", "remote", sc.qc.RemoteAddr().String(), "error", err)
	if !s.NoWWWAuthenticate {
		w.Header().Add("WWW-Authenticate", "Bearer")
		if pa, ok := s.Authenticator.(PasswordAdvertiser); ok && pa.PasswordsEnabled() {
			w.Header().Add("WWW-Authenticate", `Basic realm="ssh3"`)
		}
	}
	sc.refuse(w, p, http.StatusUnauthorized, "")
	return Identity{}, false
}

// establish sends the 200 first and then takes the stream over (in quic-go
// v0.65 WriteHeader must precede HTTPStream, §8.2), registers the
// conversation and releases the channels that arrived early. The registry
// learns of the 200 before it leaves (http3's request body knows its
// stream), so channels the client opens on seeing it, before establish
// runs, are held rather than refused as a 17th early channel.
func (sc *serverConn) establish(w http.ResponseWriter, r *http.Request, p *frame.Profile, pv frame.PeerVersion, id Identity) {
	s := sc.srv
	sw := softwareOrDefault(s.Software)
	w.Header().Set(p.ResponseVersionHeader(), p.ServerVersion(sw, s.Caps))
	if b, ok := r.Body.(interface{ StreamID() quic.StreamID }); ok {
		sc.reg.answering(uint64(b.StreamID()))
	}
	w.WriteHeader(http.StatusOK)
	st, err := w.(http3.HTTPStreamer).HTTPStream()
	if err != nil {
		sc.reg.unreserve()
		return
	}
	c := newConversation(sc.connState, p, true, s.maxMessageSize(), s.MaxChannels)
	c.id = uint64(st.StreamID())
	c.ctrl = st
	c.identity = id
	c.peer = frame.NewPeer(p, pv.Caps)
	sc.loggedIn()
	c.setEstablished(nil)
	c.onClose = sc.conversationEnded
	sc.addConversation(c)
	if err := sc.lost(); err != nil {
		c.closeWith(err, false)
	}
	if s.testAnswered != nil {
		s.testAnswered()
	}
	sc.log.Debug("conversation established", "conversation", c.id, "profile", p.Name(), "user", id.User, "remote", sc.qc.RemoteAddr().String())
	sc.reg.establish(c.id, c)
	sc.go_(func() { c.watch(st) })
	s.runHandler(c)
}

// conversationEnded is the server's bookkeeping when a conversation ends.
func (sc *serverConn) conversationEnded(c *Conversation) {
	sc.removeConversation(c.id, c)
	sc.reg.closedConversation(c.id, c)
}
