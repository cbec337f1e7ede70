package forward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"

	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// Client runs a client's forwards over one conversation. Every forward it
// starts ends when the conversation does, or on Close.
type Client struct {
	Conv *conn.Conversation
	// Notify receives one-line messages for the user (a refused target,
	// the port a reverse listener got); nil drops them.
	Notify func(msg string)
	Logger *slog.Logger
	Stats  Stats
	// AgentSocket is the client's own agent (SSH_AUTH_SOCK) for -A.
	AgentSocket string

	mu      sync.Mutex // guards closers and closed
	closers []func()
	closed  bool
	wg      sync.WaitGroup
}

func (c *Client) log() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c *Client) notify(format string, args ...any) {
	if c.Notify != nil {
		c.Notify(fmt.Sprintf(format, args...))
	}
}

// onClose registers f to run on Close or when the conversation ends; it
// runs f at once if that already happened.
func (c *Client) onClose(f func()) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		f()
		return
	}
	first := len(c.closers) == 0
	c.closers = append(c.closers, f)
	c.mu.Unlock()
	if first {
		context.AfterFunc(doneContext(c.Conv.Done()), func() { _ = c.Close() })
	}
}

// go_ starts a goroutine that Close waits for.
func (c *Client) go_(f func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// Close stops every listener and waits for the forwarders' goroutines;
// channels already carrying data end with the conversation.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	fs := c.closers
	c.closers = nil
	c.mu.Unlock()
	for _, f := range fs {
		f()
	}
	return nil
}

// Wait waits for every goroutine the client started; call Close first.
func (c *Client) Wait() { c.wg.Wait() }

// doneContext is a context cancelled when done is closed.
func doneContext(done <-chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-done
		cancel()
	}()
	return ctx
}

// targetAddress is the address block for host:port. ssh3-alpha carries IP
// literals only, so names are resolved here; rth3-00 sends names as family
// 0 for the server to resolve (G3).
func (c *Client) targetAddress(ctx context.Context, host string, port int) (frame.Address, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return frame.IPAddress(netip.AddrPortFrom(ip, uint16(port))), nil
	}
	if c.Conv.Profile().HostNameTargets() {
		if host == "" || len(host) > frame.MaxHostNameLen {
			return frame.Address{}, fmt.Errorf("forward: bad host name %q", host)
		}
		return frame.NameAddress(host, uint16(port)), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return frame.Address{}, fmt.Errorf("forward: resolve %s: %v", host, err)
	}
	return frame.IPAddress(netip.AddrPortFrom(ips[0].Unmap(), uint16(port))), nil
}

// describeOpenFailure is the one-line message for a channel the server
// refused, or "" when err is not a refusal.
func describeOpenFailure(err error) string {
	var oe *conn.OpenError
	if errors.As(err, &oe) {
		name := map[uint64]string{1: "administratively prohibited", 2: "connect failed", 3: "unknown channel type", 4: "resource shortage"}[oe.Reason]
		if name == "" {
			name = "reason " + strconv.FormatUint(oe.Reason, 10)
		}
		if oe.Description != "" {
			return name + ": " + oe.Description
		}
		return name
	}
	var ce *conn.Error
	if errors.As(err, &ce) && ce.Remote {
		switch ce.Code {
		case conn.CodeConnectError:
			return "connect failed (H3_CONNECT_ERROR)"
		case conn.CodeRequestRejected:
			return "administratively prohibited (H3_REQUEST_REJECTED)"
		}
	}
	return ""
}

// LocalForward is a running -L forward.
type LocalForward struct {
	Spec Spec
	addr net.Addr
	stop func()
}

// Addr is the local address the forward listens on.
func (f *LocalForward) Addr() net.Addr { return f.addr }

// Close stops listening; forwarded connections go on.
func (f *LocalForward) Close() { f.stop() }

// defaultBind is where a forward listens when the spec names no address:
// loopback, [::1] for an IPv6 target (§5.1).
func defaultBind(target string) string {
	if ip, err := netip.ParseAddr(target); err == nil && ip.Is6() && !ip.Is4In6() {
		return "::1"
	}
	return "127.0.0.1"
}

// ListenLocal starts a -L forward: TCP (one direct-tcp channel per
// accepted connection) or UDP (one direct-udp channel per source).
func (c *Client) ListenLocal(ctx context.Context, s Spec) (*LocalForward, error) {
	if s.Network == "udp" {
		return c.listenUDP(ctx, s)
	}
	ln, err := net.Listen("tcp", s.BindAddr(defaultBind(s.Host)))
	if err != nil {
		return nil, fmt.Errorf("forward: -L %s: %w", s, err)
	}
	f := &LocalForward{Spec: s, addr: ln.Addr(), stop: func() { _ = ln.Close() }}
	c.onClose(f.stop)
	c.go_(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			c.go_(func() { c.forwardTCP(ctx, nc, s.Host, s.Port) })
		}
	})
	return f, nil
}

// forwardTCP carries one local connection to host:port on a direct-tcp
// channel.
func (c *Client) forwardTCP(ctx context.Context, nc net.Conn, host string, port int) {
	a, err := c.targetAddress(ctx, host, port)
	if err != nil {
		c.Stats.Add(ReasonDialFailed)
		c.notify("%v", err)
		_ = nc.Close()
		return
	}
	ch, err := c.Conv.OpenChannel(ctx, frame.ChannelDirectTCP, &a)
	if err != nil {
		c.Stats.Add(ReasonOpenFailed)
		c.log().Info("forward: opening direct-tcp failed", "err", err)
		_ = nc.Close()
		return
	}
	c.relayReport(nc, ch, a.String())
}

// relayReport relays and tells the user about a refused channel in one
// line, as ssh does ("channel 4: open failed: connect failed: ...").
func (c *Client) relayReport(nc net.Conn, ch *conn.Channel, target string) {
	err := Relay(nc, ch)
	if err == nil {
		return
	}
	if msg := describeOpenFailure(err); msg != "" {
		c.Stats.Add(ReasonOpenFailed)
		c.notify("channel %d: open failed: %s (to %s)", ch.ID(), msg, target)
		return
	}
	c.log().Debug("forward: connection ended", "target", target, "err", err)
}
