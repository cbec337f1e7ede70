package forward

import (
	"context"
	"errors"
	"fmt"

	"github.com/ssh3-project/ssh3/app/client"
	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// Options are a client's forwards.
type Options struct {
	Locals   []Spec // -L, -forward-tcp, -forward-udp
	Remotes  []Spec // -R
	Dynamics []Spec // -D
	// AgentSocket is the local agent to forward (-A); "" for none.
	AgentSocket string
	// Notify receives one-line messages for the user.
	Notify func(msg string)
	// Ready is called once every forward has been started (tests use it
	// to learn the ports).
	Ready func(c *Client, locals []*LocalForward, dynamics []*LocalForward, remotes []*RemoteForward)
}

// Run connects, starts the forwards and runs the session scfg; with a nil
// scfg (-N) it forwards until ctx ends or the connection goes. The result
// is the session's, as client.RunSession's.
func Run(ctx context.Context, cfg *client.Config, scfg *session.ClientConfig, o Options) (session.Exit, error) {
	fc := &Client{Notify: o.Notify, Logger: cfg.Logger, AgentSocket: o.AgentSocket}
	type started struct {
		ch *conn.Channel
		cs *session.ClientSession
	}
	conv, st, err := client.Connect(ctx, cfg, func(c *conn.Conversation) (started, error) {
		if scfg == nil {
			return started{}, nil
		}
		ch, err := c.OpenChannel(ctx, frame.ChannelSession, nil)
		if err != nil {
			return started{}, err
		}
		sc := *scfg
		sc.ForwardAgent = scfg.ForwardAgent && o.AgentSocket != ""
		cs, err := session.StartClient(fc.WrapSession(ch), &sc)
		if err != nil {
			ch.Abort(conn.CodeRequestCancelled)
			return started{}, err
		}
		return started{ch, cs}, nil
	})
	if err != nil {
		return session.Exit{}, err
	}
	fc.Conv = conv
	defer fc.Wait() // last: the forwarders end with the conversation
	defer conv.Close()
	defer fc.Close()
	if err := fc.start(ctx, o); err != nil && scfg == nil {
		return session.Exit{}, err
	}
	if scfg == nil {
		select {
		case <-conv.Done():
			if err := conv.Err(); err != nil && !errors.Is(err, conn.ErrConversationClosed) {
				return session.Exit{}, err
			}
			return session.Exit{}, nil
		case <-ctx.Done():
			return session.Exit{}, nil
		}
	}
	defer st.ch.Close()
	exit, err := st.cs.Wait(ctx)
	if err != nil {
		if cerr := conv.Err(); cerr != nil {
			return exit, fmt.Errorf("%w (connection: %v)", err, cerr)
		}
	}
	return exit, err
}

// start starts every forward; one that fails is reported and the others
// go on, as with ssh. The error says whether none could start.
func (c *Client) start(ctx context.Context, o Options) error {
	fctx := doneContext(c.Conv.Done())
	if o.AgentSocket != "" && c.Conv.Profile().ServerOpensChannels() {
		c.go_(func() { c.ServeAgentChannels(fctx) })
	}
	var locals, dyns []*LocalForward
	var remotes []*RemoteForward
	var firstErr error
	report := func(err error) {
		c.notify("%v", err)
		if firstErr == nil {
			firstErr = err
		}
	}
	for _, s := range o.Locals {
		f, err := c.ListenLocal(fctx, s)
		if err != nil {
			report(err)
			continue
		}
		locals = append(locals, f)
	}
	for _, s := range o.Dynamics {
		f, err := c.ListenSOCKS(fctx, s)
		if err != nil {
			report(err)
			continue
		}
		dyns = append(dyns, f)
	}
	for _, s := range o.Remotes {
		f, err := c.ListenRemote(ctx, s)
		if err != nil {
			report(fmt.Errorf("warning: %w", err))
			continue
		}
		if s.BindPort == 0 {
			c.notify("Allocated port %d for remote forward to %s", f.Port, s.Target())
		}
		remotes = append(remotes, f)
	}
	if o.Ready != nil {
		o.Ready(c, locals, dyns, remotes)
	}
	if len(locals)+len(dyns)+len(remotes) == 0 && firstErr != nil {
		return firstErr
	}
	return nil
}
