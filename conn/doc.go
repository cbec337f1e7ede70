// Package conn runs SSH3 conversations over HTTP/3 on quic-go: the server
// and the client, for both wire profiles (ssh3-alpha and rth3-00, see
// frame.Profile), with session setup in two round trips. Section numbers
// refer to spec/SPEC.md, which follows the protocol notes.
//
// # Transport (§2, §8)
//
// The package owns its QUIC connections and puts its own accept loops in
// front of http3's raw connections ([Server] uses http3.Server.NewRawServerConn,
// [Dial] http3.Transport.NewRawClientConn). Every new bidirectional stream
// is peeked: a profile's channel signal (§3.2) makes it a channel, anything
// else is an HTTP/3 request. The peer's HTTP/3 control stream is parsed by
// conn/internal/h3, not by http3 (gap G7, Option A of §8.7), so that one datagram reader per
// connection can route both datagram layouts of §3.7; every other
// unidirectional stream goes to http3.
//
// # Conversations (§2.3–2.6, G12, G17)
//
// A [Conversation] is one Extended CONNECT stream kept open; its ID is that
// stream's ID. The server checks, in this order, path (404, byte-identical
// to a stock server), method and :protocol (404 / 501, G9), :scheme (400),
// early data (425, G13), the version header (403, §2.4, G8), and
// authentication through the [Authenticator] interface (401 with
// WWW-Authenticate, G15), then answers 200 and hands the conversation to the
// [Handler]. One server serves both profiles on one address and path.
//
// [Dial] returns right after sending the CONNECT: channels opened at once
// travel in the same flight as the request (pipelining, §8.7), and
// [Conversation.Established] reports the response. The server holds channel
// streams that arrive before their CONNECT is answered, within caps, and
// runs nothing before the 200 (G17); it says so in its SETTINGS
// (SETTINGS_SSH3_EARLY_CHANNELS, §2.2). Toward a server that does not, such
// as the reference, which drops early channels, [Conversation.OpenChannel]
// waits for the 2xx. On Linux, a UDP port nobody listens
// on fails the dial at once with [ErrConnectionRefused] (the ICMP port
// unreachable is read while the handshake runs, and ignored after it).
//
// # Channels (§3.2–3.4, G2, G4, G10)
//
// [Conversation.OpenChannel] and [Conversation.AcceptChannel] give
// [Channel] values: one bidirectional stream each, whose ID is the channel
// ID. The opener's header goes out with the first write; the acceptor
// answers with [Channel.Confirm] or [Channel.Reject]. Messages are read and
// written with [Channel.ReadMessage], [Channel.WriteMessage] and
// [Channel.WriteData]; rth3-00 TCP channels carry raw bytes through
// [Channel.Read] and [Channel.Write]; UDP channels carry datagrams through
// [Channel.SendDatagram] and [Channel.ReceiveDatagram] (§3.7).
//
// # Errors (G10)
//
// Protocol failures are [*Error] values carrying the HTTP/3 code and the
// side that sent it; a lost connection matches [ErrConnectionLost]; a
// refused CONNECT is a [*StatusError]; a refused channel an [*OpenError].
// No quic-go error type crosses this package's API.
//
// # Goroutines and locks (style #11, #13)
//
// Each QUIC connection owns its goroutines through a WaitGroup: the uni,
// bidi and datagram loops, one goroutine per incoming stream while it is
// being classified (a request stream's goroutine lives as long as its
// handler), the control-stream reader, and one watcher per conversation
// that reads the CONNECT stream until it ends. All of them exit when the
// connection closes. The server runs each [Handler] in a goroutine it waits
// for in Shutdown; a client's [Conversation.Close] closes the connection and
// waits for its goroutines. Queues are capped: early streams (G17),
// accepted channels (the per-conversation channel cap), datagrams per UDP
// channel (excess dropped and counted). Mutexes are never nested: each
// guards the fields listed under it and is released before calling into
// another object.
//
// Authenticators should honour the request context; it ends with the
// connection.
//
// # Observability
//
// Logs go to the configured slog.Logger (discarded by default); qlog traces
// are written when QLOGDIR is set; a TLS key log writer can be configured
// for debugging.
package conn
