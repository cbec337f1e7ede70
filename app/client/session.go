package client

import (
	"context"
	"fmt"

	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// RunSession connects and runs one session: its channel is opened and its
// requests sent right behind the CONNECT, stdin waits for the 2xx, and the
// result is how the remote command ended.
func RunSession(ctx context.Context, cfg *Config, scfg *session.ClientConfig) (session.Exit, error) {
	type started struct {
		ch *conn.Channel
		cs *session.ClientSession
	}
	conv, st, err := Connect(ctx, cfg, func(c *conn.Conversation) (started, error) {
		ch, err := c.OpenChannel(ctx, frame.ChannelSession, nil)
		if err != nil {
			return started{}, err
		}
		cs, err := session.StartClient(ch, scfg)
		if err != nil {
			ch.Abort(conn.CodeRequestCancelled)
			return started{}, err
		}
		return started{ch, cs}, nil
	})
	if err != nil {
		return session.Exit{}, err
	}
	defer conv.Close()
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
