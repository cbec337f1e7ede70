package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// Options are what a run does beside its session.
type Options struct {
	Forwards forward.Options // -L, -R, -D, -A
	Jumps    []*Config       // jump hosts, in order (-J a,b)
}

// Run is the client's one entry point. It connects to cfg's target (through
// o.Jumps, each a QUIC connection inside the previous one's UDP forward,
// §5.4), opens the session channel scfg right behind the CONNECT, starts
// o.Forwards, and returns how the remote command ended; with a nil scfg
// (-N) it forwards until ctx ends or the connection goes.
func Run(ctx context.Context, cfg *Config, scfg *session.ClientConfig, o Options) (session.Exit, error) {
	if len(o.Jumps) > 0 {
		closeJumps, err := jump(ctx, o.Jumps, cfg)
		if err != nil {
			return session.Exit{}, fmt.Errorf("jump host: %w", err)
		}
		defer closeJumps()
	}
	fo := o.Forwards
	fc := &forward.Client{Notify: fo.Notify, Logger: cfg.Logger, AgentSocket: fo.AgentSocket}
	type started struct {
		ch *conn.Channel
		cs *session.ClientSession
	}
	conv, st, err := Connect(ctx, cfg, func(c *conn.Conversation) (started, error) {
		if scfg == nil {
			return started{}, nil
		}
		ch, err := c.OpenChannel(ctx, frame.ChannelSession, nil)
		if err != nil {
			return started{}, err
		}
		sc := *scfg
		sc.ForwardAgent = scfg.ForwardAgent && fo.AgentSocket != ""
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
	if err := fc.Start(ctx, fo); err != nil && scfg == nil {
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
	defer func() {
		// A reference peer takes a FIN on a session channel for an abort
		// (spec §6.1): toward it, conv.Close alone ends the channel.
		if st.ch.Peer().MayHalfClose() {
			_ = st.ch.Close()
		}
	}()
	exit, err := st.cs.Wait(ctx)
	if err != nil {
		if cerr := conv.Err(); cerr != nil {
			return exit, fmt.Errorf("%w (connection: %v)", err, cerr)
		}
	}
	return exit, err
}
