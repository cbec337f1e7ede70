package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/ssh3-project/ssh3/app/client"
	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/auth/hosttrust"
)

// describeError turns an error into the one line ssh users expect, naming
// the cause.
func describeError(err error) string {
	var (
		unknown  *hosttrust.UnknownHostError
		mismatch *hosttrust.MismatchError
		status   *client.StatusError
		netErr   net.Error
		dial     *client.DialError
		proto    *client.ProtocolError
	)
	switch {
	case errors.As(err, &mismatch):
		return fmt.Sprintf("REMOTE HOST CERTIFICATE HAS CHANGED for %s (now %s); it is pinned in %s line %d. Someone could be eavesdropping on you; if the change is expected, remove that line.",
			mismatch.HostKey, mismatch.Fingerprint, mismatch.File, mismatch.Index+1)
	case errors.As(err, &unknown):
		return fmt.Sprintf("unknown host certificate for %s (%s): %v", unknown.HostKey, unknown.Fingerprint, unknown.Err)
	case errors.Is(err, hosttrust.ErrNoPrompt):
		return "the server's self-signed certificate is not in known_hosts and there is no terminal to confirm it; connect once interactively, or use -o StrictHostKeyChecking=accept-new"
	case errors.Is(err, hosttrust.ErrDeclined):
		return "host certificate not accepted"
	case errors.Is(err, client.ErrPermissionDenied):
		return err.Error()
	case errors.As(err, &dial) && errors.Is(err, client.ErrConnectionRefused):
		return dial.Addr + ": connection refused (nothing listens on that UDP port)"
	case errors.As(err, &proto) && errors.Is(err, client.ErrConnectionLost):
		return describeProtocolError(proto)
	case errors.As(err, &dial) && (errors.Is(err, client.ErrConnectionLost) || errors.Is(err, context.DeadlineExceeded)):
		return dial.Addr + ": connection timed out (no QUIC answer)"
	case errors.As(err, &status):
		switch status.StatusCode {
		case 404:
			return "no SSH3 server at this URL path (404); check the path (default /ssh3-term)"
		case 403:
			return "the server refused this protocol version (403): " + status.Body
		}
		return err.Error()
	case errors.Is(err, session.ErrNoExitStatus):
		return "connection closed by the server before the command finished"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "connection timed out: " + err.Error()
	case errors.Is(err, client.ErrConnectionLost):
		return "connection lost: " + err.Error()
	}
	return err.Error()
}

// describeProtocolError names an HTTP/3 error that ended the connection and
// which side detected it: a server that broke the protocol is not a server
// that did not answer.
func describeProtocolError(e *client.ProtocolError) string {
	s := fmt.Sprintf("protocol error: %s (%#x)", e.Code, uint64(e.Code))
	if e.Remote {
		s = "the server closed the connection: " + s[len("protocol error: "):]
	} else {
		s += " in what the server sent; connection closed"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}
