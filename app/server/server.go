package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/app/host"
	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/verify"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// Software is what this server names itself in version headers.
var Software = frame.Software{Name: "ssh3-project/ssh3", Version: "0.1.0"}

// Config is a server's configuration; cmd/ssh3-server fills it from flags.
type Config struct {
	TLSConfig *tls.Config
	Path      string           // the secret URL path; conn.DefaultPath if empty
	Profiles  []*frame.Profile // both if empty
	Verifier  *verify.Verifier // nil: the zero Verifier (public keys, system accounts)
	// Passwords enables password logins through this checker.
	Passwords verify.PasswordChecker
	EnvAllow  []string // env names a client may set; nil: host.DefaultEnvAllow
	// Subsystems maps a subsystem name to the command serving it.
	Subsystems map[string]string
	// AuthorizedFiles are the identity files read for a user, in order,
	// with %h (home) and %u (user) expanded, as OpenSSH's
	// AuthorizedKeysFile; nil means ~/.ssh3/authorized_identities then
	// ~/.ssh/authorized_keys.
	AuthorizedFiles []string
	// LookupAccount finds the account a session runs as; nil means
	// host.LookupAccount (the password database, the user's own shell).
	LookupAccount func(name string) (*host.Account, error)
	// NoWWWAuthenticate omits WWW-Authenticate from 401s (G15).
	NoWWWAuthenticate bool
	// StockSettings leaves the early-channels setting out of SETTINGS
	// (spec/SPEC.md §2.2): clients then wait for the 200.
	StockSettings bool
	// MaxStartups bounds unauthenticated connections (sshd's MaxStartups);
	// conn.DefaultStartups if zero.
	MaxStartups conn.Startups
	// LoginGraceTime closes a connection that has not authenticated by
	// then; conn.DefaultLoginGraceTime if 0, none if negative.
	LoginGraceTime time.Duration
	// Forwarding says which forwarding is allowed; the zero value allows
	// all of it, subject to each key's authorized_keys options.
	Forwarding forward.Policy
	Logger     *slog.Logger
}

// Server is an SSH3 server.
type Server struct {
	cfg   Config
	conn  *conn.Server
	log   *slog.Logger
	chans map[string]ChannelHandler
	// lookupAccount finds the account a session runs as; tests replace it.
	lookupAccount func(name string) (*host.Account, error)
	ctx           context.Context // ends when the server closes; parents every session
	cancel        context.CancelFunc
	fwd           *forward.Server
}

// ChannelHandler serves one accepted channel of a conversation; it owns the
// channel and closes it before returning.
type ChannelHandler func(ctx context.Context, c *conn.Conversation, ch *conn.Channel)

// New builds a server; Serve or ListenAndServe runs it.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	v := cfg.Verifier
	if v == nil {
		v = &verify.Verifier{}
	}
	if cfg.Passwords != nil {
		v.Passwords = cfg.Passwords
	}
	v.LookupUser = ownUserOnly(v.LookupUser)
	if len(cfg.AuthorizedFiles) > 0 {
		v.IdentityFiles = expandFiles(cfg.AuthorizedFiles)
	}
	if v.Log == nil {
		v.Log = func(d *auth.Denial) { log.Info("authentication failed", "reason", d.Error()) }
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, log: log, chans: map[string]ChannelHandler{}, ctx: ctx, cancel: cancel,
		lookupAccount: cfg.LookupAccount}
	if s.lookupAccount == nil {
		s.lookupAccount = host.LookupAccount
	}
	s.conn = &conn.Server{
		TLSConfig:     cfg.TLSConfig,
		Path:          cfg.Path,
		Profiles:      cfg.Profiles,
		Authenticator: &authenticator{v: v, passwords: cfg.Passwords != nil},
		Handler:       conn.HandlerFunc(s.serveConversation),
		Software:      Software,
		Caps:          frame.AllCaps,
		Logger:        log,

		NoWWWAuthenticate: cfg.NoWWWAuthenticate,
		StockSettings:     cfg.StockSettings,
		MaxStartups:       cfg.MaxStartups,
		LoginGraceTime:    cfg.LoginGraceTime,
	}
	s.Handle(frame.ChannelSession, s.serveSession)
	s.registerForwarding()
	return s
}

// Handle registers the handler of a channel type; a feature is one
// registration (style #19).
func (s *Server) Handle(channelType string, h ChannelHandler) { s.chans[channelType] = h }

// ListenAndServe serves on a UDP address until Close or Shutdown.
func (s *Server) ListenAndServe(addr string) error { return s.conn.ListenAndServe(addr) }

// Serve serves on pc until Close or Shutdown.
func (s *Server) Serve(pc net.PacketConn) error { return s.conn.Serve(pc) }

// Close stops the server at once, ending every session.
func (s *Server) Close() error {
	s.cancel()
	return s.conn.Close()
}

// Shutdown stops accepting, lets conversations end until ctx is done, then
// closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.conn.Shutdown(ctx)
	s.cancel()
	return err
}

// serveConversation accepts the conversation's channels until it ends and
// waits for their handlers.
func (s *Server) serveConversation(c *conn.Conversation) {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	go func() {
		select {
		case <-c.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		ch, err := c.AcceptChannel(ctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				s.log.Debug("conversation ended", "user", c.Identity().User, "err", err)
			}
			return
		}
		h, ok := s.chans[ch.Type()]
		if !ok {
			s.log.Info("channel refused: unknown type", "type", ch.Type())
			_ = ch.Reject(frame.ReasonUnknownChannelType, "unknown channel type")
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.recoverChannel(ch)
			h(ctx, c, ch)
		}()
	}
}

// recoverChannel keeps one bad channel from taking the server down.
func (s *Server) recoverChannel(ch *conn.Channel) {
	if r := recover(); r != nil {
		s.log.Error("channel handler panicked", "type", ch.Type(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		ch.Abort(conn.CodeInternalError)
	}
}

func (s *Server) serveSession(ctx context.Context, c *conn.Conversation, ch *conn.Channel) {
	defer ch.Close()
	id := c.Identity()
	acct, err := s.lookupAccount(id.User)
	if err != nil {
		s.log.Warn("session refused: account", "user", id.User, "err", err)
		_ = ch.Reject(frame.ReasonAdministrativelyProhibited, "no such account")
		return
	}
	if err := ch.Confirm(); err != nil {
		return
	}
	cfg := &host.Config{
		Account:    acct,
		Connection: connectionInfo(c),
		EnvAllow:   s.cfg.EnvAllow,
		Subsystems: s.cfg.Subsystems,
		Logger:     s.log.With("user", acct.Name, "channel", ch.ID()),
	}
	enableAgent, cleanupAgent := s.agentForwarding(ctx, c, ch, acct)
	defer cleanupAgent()
	cfg.AgentForwarding = enableAgent
	if ai, ok := id.Extra.(*verify.Identity); ok {
		cfg.ForcedCommand = ai.Restrictions.ForcedCommand
		cfg.NoPty = ai.Restrictions.NoPTY
	}
	start := time.Now()
	err = host.Serve(ctx, ch, cfg)
	if errors.Is(err, host.ErrOutOfSync) {
		ch.Abort(conn.CodeMessageError) // N1: only this channel goes
	}
	s.log.Info("session ended", "user", acct.Name, "duration", time.Since(start).Round(time.Millisecond), "err", err)
}

func connectionInfo(c *conn.Conversation) host.Connection {
	var ci host.Connection
	if ra, ok := c.RemoteAddr().(*net.UDPAddr); ok {
		ci.ClientIP, ci.ClientPort = ra.IP.String(), ra.Port
	}
	if la, ok := c.LocalAddr().(*net.UDPAddr); ok {
		ci.ServerIP, ci.ServerPort = la.IP.String(), la.Port
	}
	return ci
}

func itoaUID() string { return strconv.Itoa(os.Geteuid()) }

// expandFiles turns AuthorizedKeysFile-style patterns into a per-user list.
func expandFiles(patterns []string) func(u *user.User) []string {
	return func(u *user.User) []string {
		out := make([]string, 0, len(patterns))
		for _, p := range patterns {
			p = strings.ReplaceAll(p, "%h", u.HomeDir)
			p = strings.ReplaceAll(p, "%u", u.Username)
			p = strings.ReplaceAll(p, "%%", "%")
			out = append(out, p)
		}
		return out
	}
}
