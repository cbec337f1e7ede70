package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ssh3-project/ssh3/app/client"
	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/conn"
)

// TestDescribeError pins the one-line messages users see for each cause;
// in particular a protocol error during the dial is not reported as a
// server that never answered.
func TestDescribeError(t *testing.T) {
	lost := func(e error) error { return &conn.LostError{Err: e} }
	dial := func(e error) error { return &client.DialError{Addr: "192.0.2.7:443", Err: e} }
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"dial timeout", dial(context.DeadlineExceeded),
			"192.0.2.7:443: connection timed out (no QUIC answer)"},
		{"dial refused", dial(lost(conn.ErrConnectionRefused)),
			"192.0.2.7:443: connection refused (nothing listens on that UDP port)"},
		{"dial idle timeout", dial(lost(conn.ErrIdleTimeout)),
			"192.0.2.7:443: connection timed out (no QUIC answer)"},
		{"bad settings from the server", dial(lost(&conn.Error{Code: conn.CodeSettingsError, Message: "H3_DATAGRAM is 2"})),
			"protocol error: H3_SETTINGS_ERROR (0x109) in what the server sent; connection closed: H3_DATAGRAM is 2"},
		{"server closed with a code", fmt.Errorf("session: %w", lost(&conn.Error{Code: conn.CodeDatagramError, Remote: true})),
			"the server closed the connection: H3_DATAGRAM_ERROR (0x33)"},
		{"a stream error is not a lost connection", &conn.Error{Code: conn.CodeRequestCancelled, Remote: true},
			"conn: remote H3_REQUEST_CANCELLED (0x10c)"},
		{"403", &conn.StatusError{StatusCode: 403, Body: "versions: michel-remote-terminal-http3-00"},
			"the server refused this protocol version (403): versions: michel-remote-terminal-http3-00"},
		{"no exit status", fmt.Errorf("x: %w", session.ErrNoExitStatus),
			"connection closed by the server before the command finished"},
		{"other", errors.New("ssh3: something"), "ssh3: something"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := describeError(tc.err); got != tc.want {
				t.Errorf("describeError(%v)\n got %q\nwant %q", tc.err, got, tc.want)
			}
		})
	}
}
