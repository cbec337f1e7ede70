package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ssh3-project/ssh3/app/client"
	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/auth"
)

// forwards are the command line's forwarding options, parsed.
type forwards struct {
	opts  forward.Options
	jumps []string
}

// parseForwards reads -L, -R, -D, -forward-tcp, -forward-udp, -A and -J.
// A specification that does not parse is an error of its own (not a usage
// error): one line and exit 255, as ssh does.
func parseForwards(o *options, stderr io.Writer) (*forwards, error) {
	f := &forwards{jumps: o.jumps}
	for _, s := range o.locals {
		sp, err := forward.ParseLocal(s)
		if err != nil {
			return nil, fmt.Errorf("bad local forwarding specification: %w", err)
		}
		f.opts.Locals = append(f.opts.Locals, sp)
	}
	for _, pair := range []struct {
		network string
		specs   []string
	}{{"tcp", o.forwardTCP}, {"udp", o.forwardUDP}} {
		for _, s := range pair.specs {
			sp, err := forward.ParseOriginal(pair.network, s)
			if err != nil {
				return nil, fmt.Errorf("bad -forward-%s specification: %w", pair.network, err)
			}
			f.opts.Locals = append(f.opts.Locals, sp)
		}
	}
	for _, s := range o.remotes {
		sp, err := forward.ParseLocal(s)
		if err != nil {
			return nil, fmt.Errorf("bad remote forwarding specification: %w", err)
		}
		f.opts.Remotes = append(f.opts.Remotes, sp)
	}
	for _, s := range o.dynamics {
		sp, err := forward.ParseDynamic(s)
		if err != nil {
			return nil, fmt.Errorf("bad dynamic forwarding specification: %w", err)
		}
		f.opts.Dynamics = append(f.opts.Dynamics, sp)
	}
	for _, j := range o.jumps {
		if _, err := parseDestination(j); err != nil || j == "" {
			return nil, fmt.Errorf("bad jump host %q", j)
		}
	}
	if o.forwardAgent && !o.noAgent {
		f.opts.AgentSocket = auth.AgentSocket()
		if f.opts.AgentSocket == "" {
			fmt.Fprintln(stderr, "ssh3: warning: -A: no agent (SSH_AUTH_SOCK is not set)")
		}
	}
	f.opts.Notify = func(msg string) { fmt.Fprintln(stderr, "ssh3: "+msg) }
	return f, nil
}

// run runs the session (nil with -N) with the forwards, through the jump
// hosts if any: app/client's one entry point.
func (f *forwards) run(ctx context.Context, o *options, s *settings, ccfg *client.Config, scfg *session.ClientConfig, tty *terminal, stderr io.Writer) (session.Exit, error) {
	var jumps []*client.Config
	for _, j := range f.jumps {
		jo := *o
		jo.destination, jo.port, jo.user = j, 0, ""
		js, err := resolve(&jo)
		if err != nil {
			return session.Exit{}, err
		}
		jc, err := js.clientConfig(ctx, &jo, tty, ccfg.Logger, stderr)
		if err != nil {
			return session.Exit{}, err
		}
		jumps = append(jumps, jc)
	}
	if o.noCommand {
		scfg = nil
	}
	return client.Run(ctx, ccfg, scfg, client.Options{Forwards: f.opts, Jumps: jumps})
}
