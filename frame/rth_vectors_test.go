package frame_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/spec"
)

// update rewrites spec/vectors/rth3-00.json from the encoder:
//
//	go test ./frame -run TestRTHVectors -update
var update = flag.Bool("update", false, "rewrite spec/vectors/rth3-00.json from the encoder")

const rthVectorsFile = "../spec/vectors/rth3-00.json"

const (
	c2s = "client-to-server"
	s2c = "server-to-client"
)

// rthVector is one vector of rth3-00.json before encoding: exactly one of
// header, message and datagram is set.
type rthVector struct {
	id, direction, description string
	header                     *frame.ChannelHeader
	message                    frame.Message
	datagram                   *frame.Datagram
}

// rthVectors are this project's rth3-00 decisions as bytes (spec/SPEC.md
// §3, §7: G2, G3, G5, G6, G7).
func rthVectors() []rthVector {
	hdr := func(conv uint64, typ string, extra frame.HeaderExtra) *frame.ChannelHeader {
		return &frame.ChannelHeader{Conversation: conv, Type: typ, MaxMessageSize: frame.DefaultMaxMessageSize, Extra: extra}
	}
	ip := func(s string, port uint16) frame.Address { return *ipAddr(s, port) }
	loop := ip("127.0.0.1", 8080)
	name := frame.NameAddress("example.com", 443)
	ping := []byte("ping")
	return []rthVector{
		{id: "channel-header-session", direction: c2s,
			description: "session channel header on conversation 0 (signal 0x5e67730e as an 8-byte varint, max message size 30000)",
			header:      hdr(0, frame.ChannelSession, nil)},
		{id: "channel-header-session-conv4", direction: c2s,
			description: "session channel header on conversation 4 (a second conversation on the connection, G12)",
			header:      hdr(4, frame.ChannelSession, nil)},
		{id: "channel-header-direct-tcp-ipv4", direction: c2s,
			description: "direct-tcp header to 127.0.0.1:8080 with the address block of G3 (family 4); raw TCP bytes follow (G4)",
			header:      hdr(0, frame.ChannelDirectTCP, &loop)},
		{id: "channel-header-direct-tcp-ipv6", direction: c2s,
			description: "direct-tcp header to [::1]:22 (family 6)",
			header:      hdr(0, frame.ChannelDirectTCP, ptr(ip("::1", 22)))},
		{id: "channel-header-direct-tcp-host-name", direction: c2s,
			description: "direct-tcp header to example.com:443: family 0, the host name as a string, resolved by the server (G3, rth3-00 only)",
			header:      hdr(0, frame.ChannelDirectTCP, &name)},
		{id: "channel-header-direct-udp-ipv4", direction: c2s,
			description: "direct-udp header to 127.0.0.1:53 (family 4); payloads travel as datagrams naming this channel",
			header:      hdr(0, frame.ChannelDirectUDP, ptr(ip("127.0.0.1", 53)))},
		{id: "channel-header-reverse-tcp-listen", direction: c2s,
			description: "reverse-tcp listener channel: role 0, bind address 0.0.0.0 port 2222 (G5)",
			header:      hdr(0, frame.ChannelReverseTCP, &frame.ReverseListen{Bind: ip("0.0.0.0", 2222)})},
		{id: "channel-header-reverse-tcp-listen-any-port", direction: c2s,
			description: "reverse-tcp listener channel: role 0, bind localhost (family 0) port 0, any port (G5)",
			header:      hdr(0, frame.ChannelReverseTCP, &frame.ReverseListen{Bind: frame.NameAddress("localhost", 0)})},
		{id: "channel-header-reverse-tcp-accept", direction: c2s,
			description: "reverse-tcp accept channel: role 1, listener channel on stream 8, connection 1 from reverse-incoming (G5); raw TCP bytes follow",
			header:      hdr(0, frame.ChannelReverseTCP, &frame.ReverseAccept{Listener: 8, Connection: 1})},
		{id: "channel-header-reverse-udp-listen", direction: c2s,
			description: "reverse-udp listener channel: role 0, bind [::] port 5353 (G5)",
			header:      hdr(0, frame.ChannelReverseUDP, &frame.ReverseListen{Bind: ip("::", 5353)})},
		{id: "channel-header-agent-connection", direction: c2s,
			description: "agent-connection channel opened by the client: session channel on stream 4, connection 1 from agent-incoming (G6)",
			header:      hdr(0, frame.ChannelAgentConnection, &frame.AgentAccept{Session: 4, Connection: 1})},
		{id: "message-open-confirmation", direction: s2c,
			description: "CHANNEL_OPEN_CONFIRMATION of rth3-00 (G2): initial window 2^62-1, ignored on receipt, then max message size 30000",
			message:     frame.NewOpenConfirmation(frame.DefaultMaxMessageSize)},
		{id: "message-open-failure", direction: s2c,
			description: "CHANNEL_OPEN_FAILURE: reason 2 (CONNECT_FAILED), description, empty language tag; the acceptor then FINs (G2)",
			message:     &frame.OpenFailure{Reason: frame.ReasonConnectFailed, Description: "connection refused"}},
		{id: "message-open-failure-unknown-type", direction: s2c,
			description: "CHANNEL_OPEN_FAILURE: reason 3 (UNKNOWN_CHANNEL_TYPE)",
			message:     &frame.OpenFailure{Reason: frame.ReasonUnknownChannelType, Description: "unknown channel type"}},
		{id: "message-window-adjust", direction: c2s,
			description: "CHANNEL_WINDOW_ADJUST of 1024 bytes: accepted and ignored, never sent (§3.5)",
			message:     &frame.WindowAdjust{Bytes: 1024}},
		{id: "message-data", direction: s2c,
			description: "CHANNEL_DATA carrying 'hello\\n'",
			message:     &frame.Data{Data: []byte("hello\n")}},
		{id: "message-extended-data", direction: s2c,
			description: "CHANNEL_EXTENDED_DATA type 1 (stderr) carrying 'oops\\n'",
			message:     &frame.ExtendedData{DataType: frame.ExtendedDataStderr, Data: []byte("oops\n")}},
		{id: "message-eof", direction: c2s,
			description: "CHANNEL_EOF: accepted as the same thing as FIN, not sent (G11)", message: &frame.EOF{}},
		{id: "message-close", direction: c2s,
			description: "CHANNEL_CLOSE: accepted as closing both directions, not sent", message: &frame.Close{}},
		{id: "message-success", direction: s2c,
			description: "CHANNEL_SUCCESS: the answer to a request with want-reply (G11)", message: &frame.Success{}},
		{id: "message-failure", direction: s2c,
			description: "CHANNEL_FAILURE: the refusal of a request with want-reply (G11)", message: &frame.Failure{}},
		{id: "channel-request-pty-req", direction: c2s,
			description: "pty-req xterm-256color 100x30, want-reply 1, terminal modes VINTR=3, ECHO=1, TTY_OP_ISPEED=38400 then TTY_OP_END (G16)",
			message: &frame.PtyReq{WantReply: true, Term: "xterm-256color", Columns: 100, Rows: 30,
				Modes: frame.TerminalModes{{Opcode: 1, Arg: 3}, {Opcode: 53, Arg: 1}, {Opcode: 128, Arg: 38400}}.Append(nil)}},
		{id: "channel-request-x11-req", direction: c2s,
			description: "x11-req, single connection, MIT-MAGIC-COOKIE-1, screen 0",
			message: &frame.X11Req{WantReply: true, SingleConnection: true, AuthProtocol: "MIT-MAGIC-COOKIE-1",
				AuthCookie: "0123456789abcdef0123456789abcdef"}},
		{id: "channel-request-shell", direction: c2s,
			description: "shell request, want-reply 1", message: &frame.Shell{WantReply: true}},
		{id: "channel-request-exec", direction: c2s,
			description: "exec 'echo hello', want-reply 1", message: &frame.Exec{WantReply: true, Command: "echo hello"}},
		{id: "channel-request-subsystem", direction: c2s,
			description: "subsystem sftp, want-reply 1", message: &frame.Subsystem{WantReply: true, Subsystem: "sftp"}},
		{id: "channel-request-env", direction: c2s,
			description: "env LANG=C.UTF-8, want-reply 1", message: &frame.Env{WantReply: true, Variable: "LANG", Value: "C.UTF-8"}},
		{id: "channel-request-window-change", direction: c2s,
			description: "window-change 120x40, want-reply 0", message: &frame.WindowChange{Columns: 120, Rows: 40}},
		{id: "channel-request-xon-xoff", direction: s2c,
			description: "xon-xoff, client can do 1", message: &frame.XonXoff{ClientCanDo: true}},
		{id: "channel-request-signal", direction: c2s,
			description: "signal INT (named without SIG), want-reply 0", message: &frame.Signal{Signal: "INT"}},
		{id: "channel-request-exit-status", direction: s2c,
			description: "exit-status 255 (a 2-byte varint), want-reply 0", message: &frame.ExitStatus{Status: 255}},
		{id: "channel-request-exit-signal", direction: s2c,
			description: "exit-signal TERM, no core dump, message 'Terminated', language tag en",
			message:     &frame.ExitSignal{Signal: "TERM", ErrorMessage: "Terminated", Language: "en"}},
		{id: "channel-request-auth-agent-req", direction: c2s,
			description: "auth-agent-req@openssh.com, want-reply 1, before shell/exec (G6)", message: &frame.AuthAgent{WantReply: true}},
		{id: "channel-request-agent-incoming", direction: s2c,
			description: "agent-incoming connection 1 on the session channel (G6)", message: &frame.AgentIncoming{Connection: 1}},
		{id: "channel-request-reverse-bound", direction: s2c,
			description: "reverse-bound port 2222 on the listener channel (G5)", message: &frame.ReverseBound{Port: 2222}},
		{id: "channel-request-reverse-incoming", direction: s2c,
			description: "reverse-incoming connection 1 from 192.0.2.7:50000 on the listener channel (G5)",
			message:     &frame.ReverseIncoming{Connection: 1, Originator: ip("192.0.2.7", 50000)}},
		{id: "datagram-conv0-ch4", direction: c2s,
			description: "datagram for channel 4 of conversation 0, payload 'ping': RFC 9297 quarter stream ID 1 (G7)",
			datagram:    &frame.Datagram{Channel: 4, Payload: ping}},
		{id: "datagram-conv0-ch8", direction: s2c,
			description: "datagram for channel 8, payload 'ping': quarter stream ID 2; the conversation is not carried (conversation 4, channel 8 gives the same bytes)",
			datagram:    &frame.Datagram{Channel: 8, Payload: ping}},
	}
}

func ptr[T any](v T) *T { return &v }

// encodeRTHVectors builds rth3-00.json from the encoder.
func encodeRTHVectors(t *testing.T) []byte {
	t.Helper()
	p := frame.RTH300
	f := spec.VectorFile{
		Source:   "ssh3-project frame encoder (decisions of spec/SPEC.md)",
		Profile:  p.Name(),
		Captured: "2026-11-24",
	}
	for _, v := range rthVectors() {
		var b []byte
		var err error
		var layer string
		var fields map[string]any
		switch {
		case v.header != nil:
			layer = "channel-header"
			b, err = v.header.Append(nil, p)
			fields = headerFields(*v.header, p)
			delete(fields, "max_packet_size") // the alpha name; rth3-00 says max message size
		case v.datagram != nil:
			layer = "datagram"
			b, err = p.AppendDatagram(nil, *v.datagram)
			fields = datagramFields(*v.datagram, p)
		default:
			layer = "message"
			if _, ok := v.message.(frame.Request); ok {
				layer = "channel-request"
			}
			b, err = frame.AppendMessage(nil, v.message, p, frame.DefaultMaxMessageSize)
			fields = messageFields(v.message, p)
			delete(fields, "max_packet_size")
			if _, ok := fields["data_text"]; ok {
				delete(fields, "data_hex")
			}
		}
		if err != nil {
			t.Fatalf("%s: %v", v.id, err)
		}
		f.Vectors = append(f.Vectors, spec.Vector{
			ID: v.id, Layer: layer, Direction: v.direction, Description: v.description,
			Hex: hex.EncodeToString(b), Fields: fields,
		})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRTHVectors checks that spec/vectors/rth3-00.json is what the encoder
// produces, byte for byte; with -update it rewrites the file.
func TestRTHVectors(t *testing.T) {
	want := encodeRTHVectors(t)
	path := filepath.FromSlash(rthVectorsFile)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", path, len(want))
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it with: go test ./frame -run TestRTHVectors -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the encoder's output; review the change and run: go test ./frame -run TestRTHVectors -update", path)
	}
	// The file parses with the loader and is the one spec embeds.
	f, err := spec.ParseVectorFile(got)
	if err != nil || f.Profile != "rth3-00" || len(f.Vectors) != len(rthVectors()) {
		t.Errorf("ParseVectorFile: %v, profile %q, %d vectors", err, f.Profile, len(f.Vectors))
	}
}
