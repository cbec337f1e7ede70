package conn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// Code is an HTTP/3 error code (RFC 9114 §8.1, RFC 9297 §5), as carried by
// RESET_STREAM, STOP_SENDING and CONNECTION_CLOSE (spec §7 G10).
type Code uint64

// The codes this package sends or expects.
const (
	CodeNoError              Code = 0x100
	CodeGeneralProtocolError Code = 0x101
	CodeInternalError        Code = 0x102
	CodeStreamCreationError  Code = 0x103
	CodeClosedCriticalStream Code = 0x104
	CodeFrameUnexpected      Code = 0x105
	CodeFrameError           Code = 0x106
	CodeExcessiveLoad        Code = 0x107
	CodeIDError              Code = 0x108
	CodeSettingsError        Code = 0x109
	CodeMissingSettings      Code = 0x10a
	CodeRequestRejected      Code = 0x10b
	CodeRequestCancelled     Code = 0x10c
	CodeRequestIncomplete    Code = 0x10d
	CodeMessageError         Code = 0x10e
	CodeConnectError         Code = 0x10f
	CodeVersionFallback      Code = 0x110
	CodeDatagramError        Code = 0x33
	// CodeAlphaStopSending is the STOP_SENDING code the ssh3-alpha reference
	// uses on forwarding channels (§6.2).
	CodeAlphaStopSending Code = 42
)

var codeNames = map[Code]string{
	CodeNoError:              "H3_NO_ERROR",
	CodeGeneralProtocolError: "H3_GENERAL_PROTOCOL_ERROR",
	CodeInternalError:        "H3_INTERNAL_ERROR",
	CodeStreamCreationError:  "H3_STREAM_CREATION_ERROR",
	CodeClosedCriticalStream: "H3_CLOSED_CRITICAL_STREAM",
	CodeFrameUnexpected:      "H3_FRAME_UNEXPECTED",
	CodeFrameError:           "H3_FRAME_ERROR",
	CodeExcessiveLoad:        "H3_EXCESSIVE_LOAD",
	CodeIDError:              "H3_ID_ERROR",
	CodeSettingsError:        "H3_SETTINGS_ERROR",
	CodeMissingSettings:      "H3_MISSING_SETTINGS",
	CodeRequestRejected:      "H3_REQUEST_REJECTED",
	CodeRequestCancelled:     "H3_REQUEST_CANCELLED",
	CodeRequestIncomplete:    "H3_REQUEST_INCOMPLETE",
	CodeMessageError:         "H3_MESSAGE_ERROR",
	CodeConnectError:         "H3_CONNECT_ERROR",
	CodeVersionFallback:      "H3_VERSION_FALLBACK",
	CodeDatagramError:        "H3_DATAGRAM_ERROR",
	CodeAlphaStopSending:     "SSH3_ALPHA_STOP_SENDING",
}

// String is the registry name of c, e.g. "H3_REQUEST_REJECTED".
func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("H3_UNKNOWN(%#x)", uint64(c))
}

// Error is a protocol error carrying an HTTP/3 wire code and the side that
// sent it: Remote is true when the peer reset the stream or closed the
// connection, false when this side did. Two Errors match under errors.Is
// when code and side agree.
type Error struct {
	Code    Code
	Remote  bool
	Message string
}

func (e *Error) Error() string {
	side := "local"
	if e.Remote {
		side = "remote"
	}
	s := fmt.Sprintf("conn: %s %s (%#x)", side, e.Code, uint64(e.Code))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is compares code and side.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Remote == e.Remote
}

// Sentinels for expected conditions.
var (
	// ErrConnectionLost is matched by every error that reports the end of
	// the QUIC connection under a conversation (see [LostError]).
	ErrConnectionLost = errors.New("conn: connection lost")
	// ErrServerClosed is returned by Serve after Close or Shutdown.
	ErrServerClosed = errors.New("conn: server closed")
	// ErrConversationClosed reports a conversation that ended normally: a
	// FIN on its CONNECT stream from either side, or Close.
	ErrConversationClosed = errors.New("conn: conversation closed")
	// ErrIdleTimeout is the cause of a connection lost to the idle timeout.
	ErrIdleTimeout = errors.New("conn: idle timeout")
	// ErrConnectionRefused reports a handshake answered by an ICMP port
	// unreachable: nothing listens on that UDP port.
	ErrConnectionRefused = errors.New("conn: connection refused")
	// ErrDatagramTooLarge reports a datagram that does not fit one QUIC packet.
	ErrDatagramTooLarge = errors.New("conn: datagram too large")
	// ErrNoDatagrams reports a channel that does not carry datagrams, or a
	// peer that did not enable them.
	ErrNoDatagrams = errors.New("conn: datagrams not available on this channel")
	// ErrRawChannel reports a message operation on a channel that carries raw
	// bytes (rth3-00 TCP channels), or a raw operation on a message channel.
	ErrRawChannel = errors.New("conn: wrong framing for this channel")
	// ErrNotAllowed reports an operation the profile or role forbids, such as
	// a server opening a channel in rth3-00.
	ErrNotAllowed = errors.New("conn: not allowed in this profile or role")
	// ErrRetried ends channels opened before a 425 forced a new CONNECT.
	ErrRetried = errors.New("conn: CONNECT retried after 425; channel dropped")
)

// LostError reports that the connection under a conversation ended. Err is
// the cause: an *Error carrying the CONNECTION_CLOSE code, ErrIdleTimeout,
// or another description. It matches ErrConnectionLost.
type LostError struct {
	Err error
}

func (e *LostError) Error() string        { return "conn: connection lost: " + e.Err.Error() }
func (e *LostError) Unwrap() error        { return e.Err }
func (e *LostError) Is(target error) bool { return target == ErrConnectionLost }

// OpenError is a channel the acceptor refused with CHANNEL_OPEN_FAILURE (92).
type OpenError struct {
	Reason      uint64
	Description string
}

var reasonNames = map[uint64]string{
	1: "administratively prohibited",
	2: "connect failed",
	3: "unknown channel type",
	4: "resource shortage",
}

func (e *OpenError) Error() string {
	name := reasonNames[e.Reason]
	if name == "" {
		name = "unknown reason"
	}
	return fmt.Sprintf("conn: channel open failed: reason %d (%s): %q", e.Reason, name, e.Description)
}

// StatusError is a CONNECT answered with a status other than 2xx.
type StatusError struct {
	StatusCode int
	Header     map[string][]string
	Body       string // the first bytes of the body, for diagnostics
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("conn: CONNECT refused with status %d", e.StatusCode)
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// translate turns quic-go and http3 errors into this package's errors, so no
// lower layer's type leaks upward (style #7).
func translate(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	var own *Error
	var lost *LostError
	if errors.As(err, &own) || errors.As(err, &lost) || errors.Is(err, ErrConversationClosed) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if se, ok := errors.AsType[*quic.StreamError](err); ok {
		return &Error{Code: Code(se.ErrorCode), Remote: se.Remote}
	}
	if ae, ok := errors.AsType[*quic.ApplicationError](err); ok {
		return &LostError{Err: &Error{Code: Code(ae.ErrorCode), Remote: ae.Remote, Message: ae.ErrorMessage}}
	}
	if he, ok := errors.AsType[*http3.Error](err); ok {
		return &Error{Code: Code(he.ErrorCode), Remote: he.Remote, Message: he.ErrorMessage}
	}
	if _, ok := errors.AsType[*quic.IdleTimeoutError](err); ok {
		return &LostError{Err: ErrIdleTimeout}
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return os.ErrDeadlineExceeded
	}
	if _, ok := errors.AsType[*quic.DatagramTooLargeError](err); ok {
		return ErrDatagramTooLarge
	}
	if isQUICConnErr(err) {
		return &LostError{Err: errors.New("conn: " + err.Error())}
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return os.ErrDeadlineExceeded
	}
	return fmt.Errorf("conn: %s", err.Error())
}

func isQUICConnErr(err error) bool {
	_, te := errors.AsType[*quic.TransportError](err)
	_, sr := errors.AsType[*quic.StatelessResetError](err)
	_, ht := errors.AsType[*quic.HandshakeTimeoutError](err)
	_, vn := errors.AsType[*quic.VersionNegotiationError](err)
	return te || sr || ht || vn || errors.Is(err, quic.ErrServerClosed) || errors.Is(err, quic.ErrTransportClosed)
}
