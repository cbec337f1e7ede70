package forward

import (
	"context"
	"fmt"
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

// Start starts every forward of o on c.Conv; one that fails is reported and
// the others go on, as with ssh. The error says whether none could start.
func (c *Client) Start(ctx context.Context, o Options) error {
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
