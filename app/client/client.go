package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"

	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/hosttrust"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// Software is what this client names itself in version headers.
var Software = frame.Software{Name: "ssh3-project/ssh3", Version: "0.1.0"}

// Target is where to connect.
type Target struct {
	Host string // name or IP literal; SNI and known_hosts use it
	Port int
	Path string
	User string
}

// Addr is host:port for dialing.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// Config is how to connect.
type Config struct {
	Target  Target
	Profile *frame.Profile // frame.Alpha if nil
	// Credentials are tried in order, a new connection each, until one is
	// accepted (as ssh tries its keys).
	Credentials []auth.Credential
	Trust       *hosttrust.Config
	// AskTrust is asked about a self-signed certificate seen for the first
	// time; nil refuses such servers. On yes the certificate is pinned in
	// Trust.KnownHosts and the connection is made again.
	AskTrust func(ctx context.Context, info hosttrust.PromptInfo) (bool, error)
	Logger   *slog.Logger
	KeyLog   io.Writer
	// Through, when set, gives each connection attempt the packet path to
	// the server (proxy jump, Options.Jumps); the path is closed when
	// the conversation ends.
	Through func(ctx context.Context) (net.PacketConn, net.Addr, error)
	// InitialPacketSize is QUIC's first packet size; 0 for the default
	// (jump hosts get forward.JumpPacketSize).
	InitialPacketSize uint16
}

// Errors the ssh3 command turns into its one-line messages.
var (
	ErrPermissionDenied = errors.New("permission denied")
	ErrNoCredentials    = errors.New("no credentials to try")
)

// What a run can end with beside the errors above, for the command's
// one-line messages; they are conn's, so the command needs no other layer.
var (
	// ErrConnectionRefused: nothing listens on the server's UDP port (an
	// ICMP port unreachable during the handshake).
	ErrConnectionRefused = conn.ErrConnectionRefused
	// ErrConnectionLost: the QUIC connection ended (idle timeout, a close
	// by either side); a ProtocolError in the chain names a protocol cause.
	ErrConnectionLost = conn.ErrConnectionLost
)

// StatusError is a CONNECT answered with a status other than 2xx (404: no
// SSH3 server at that path; 403: the version was refused).
type StatusError = conn.StatusError

// ProtocolError is an HTTP/3 error that ended the connection: its code, and
// whether the server sent it (Remote) or this client found the server's
// bytes wrong.
type ProtocolError = conn.Error

// DeniedError reports that the server refused every credential (401).
type DeniedError struct{ Tried int }

func (e *DeniedError) Error() string {
	return fmt.Sprintf("permission denied (%d credential(s) tried)", e.Tried)
}

// Is makes a DeniedError match ErrPermissionDenied.
func (e *DeniedError) Is(target error) bool { return target == ErrPermissionDenied }

// DialError reports a connection that could not be made.
type DialError struct {
	Addr string
	Err  error
}

func (e *DialError) Error() string { return fmt.Sprintf("connect to %s: %v", e.Addr, e.Err) }
func (e *DialError) Unwrap() error { return e.Err }

// Connect opens an authenticated conversation, trying each credential;
// open is called with each attempt's fresh conversation right after the
// CONNECT went out, so that channels opened there are pipelined behind it.
// It returns the first conversation that got a 2xx with what open returned.
func Connect[T any](ctx context.Context, cfg *Config, open func(*conn.Conversation) (T, error)) (*conn.Conversation, T, error) {
	var zero T
	if len(cfg.Credentials) == 0 {
		return nil, zero, ErrNoCredentials
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var lastErr error
	for i, cred := range cfg.Credentials {
		c, v, err := attempt(ctx, cfg, cred, open)
		if err == nil {
			return c, v, nil
		}
		var se *conn.StatusError
		if !errors.As(err, &se) || se.StatusCode != 401 {
			return nil, zero, err
		}
		log.Debug("authentication refused; trying the next credential", "attempt", i+1)
		lastErr = err
	}
	log.Debug("every credential was refused", "last", lastErr)
	return nil, zero, &DeniedError{Tried: len(cfg.Credentials)}
}

// attempt is one connection with one credential. A self-signed
// certificate seen for the first time fails the handshake (a prompt inside
// it would race the handshake timeout); if the user accepts it, it is
// pinned and the connection is made again.
func attempt[T any](ctx context.Context, cfg *Config, cred auth.Credential, open func(*conn.Conversation) (T, error)) (*conn.Conversation, T, error) {
	var zero T
	c, v, leaf, err := dialOnce(ctx, cfg, cred, open)
	var unknown *hosttrust.UnknownHostError
	if err == nil || !errors.As(err, &unknown) || !unknown.SelfSigned || cfg.AskTrust == nil || leaf == nil {
		return c, v, err
	}
	ok, perr := cfg.AskTrust(ctx, hosttrust.PromptInfo{HostKey: unknown.HostKey, Fingerprint: unknown.Fingerprint, Cert: leaf})
	switch {
	case perr != nil:
		return nil, zero, perr
	case !ok:
		return nil, zero, hosttrust.ErrDeclined
	}
	if err := hosttrust.Add(cfg.Trust.KnownHosts, unknown.HostKey, leaf.Raw); err != nil {
		return nil, zero, err
	}
	c, v, _, err = dialOnce(ctx, cfg, cred, open)
	return c, v, err
}

// seenCert records the certificate the server presented, so the first-use
// prompt can pin exactly that certificate.
type seenCert struct {
	mu   sync.Mutex
	leaf *x509.Certificate
	err  error // the trust decision, which quic-go reports only as an alert
}

func dialOnce[T any](ctx context.Context, cfg *Config, cred auth.Credential, open func(*conn.Conversation) (T, error)) (*conn.Conversation, T, *x509.Certificate, error) {
	var zero T
	t := cfg.Target
	trust := hosttrust.Config{}
	if cfg.Trust != nil {
		trust = *cfg.Trust
	}
	trust.Prompt = nil // asked outside the handshake, by attempt
	seen := &seenCert{}
	tlsConf := trust.TLSConfig(ctx, t.Host, t.Port, t.Path, nil)
	verify := tlsConf.VerifyConnection
	tlsConf.VerifyConnection = func(cs tls.ConnectionState) error {
		err := verify(cs)
		seen.mu.Lock()
		if len(cs.PeerCertificates) > 0 {
			seen.leaf = cs.PeerCertificates[0]
		}
		seen.err = err
		seen.mu.Unlock()
		return err
	}
	p := cfg.Profile
	if p == nil {
		p = frame.Alpha
	}
	var pc net.PacketConn
	var raddr net.Addr
	if cfg.Through != nil {
		var err error
		if pc, raddr, err = cfg.Through(ctx); err != nil {
			return nil, zero, nil, &DialError{Addr: t.Addr(), Err: err}
		}
	}
	conv, err := conn.Dial(ctx, t.Addr(), &conn.Config{
		PacketConn:        pc,
		RemoteAddr:        raddr,
		InitialPacketSize: cfg.InitialPacketSize,
		Profile:           p,
		TLSConfig:         tlsConf,
		Path:              t.Path,
		User:              t.User,
		Software:          Software,
		Caps:              frame.AllCaps,
		Logger:            cfg.Logger,
		Authorization: func(ctx context.Context, exporter []byte) (string, error) {
			return cred.Authorization(ctx, auth.ClientContext{User: t.User, Profile: auth.Profile(p.Name()), Binding: exporter})
		},
		KeyLogWriter: cfg.KeyLog,
	})
	if pc != nil {
		if err != nil {
			_ = pc.Close()
		} else {
			go func() {
				<-conv.Done()
				_ = pc.Close()
			}()
		}
	}
	if err != nil {
		seen.mu.Lock()
		defer seen.mu.Unlock()
		if seen.err != nil {
			return nil, zero, seen.leaf, seen.err
		}
		return nil, zero, nil, &DialError{Addr: t.Addr(), Err: err}
	}
	v, err := open(conv)
	if err != nil {
		_ = conv.Close()
		return nil, zero, nil, err
	}
	if err := conv.Established(ctx); err != nil {
		_ = conv.Close()
		return nil, zero, nil, err
	}
	return conv, v, nil, nil
}
