package frame_test

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/wire"
)

// Generators respect the profile rules: no initial window in ssh3-alpha (it
// is not on the wire), no host names (family 0) in ssh3-alpha or in
// reverse-incoming, datagram channels of rth3-00 divisible by 4, strings
// that must be UTF-8 are UTF-8.

// genVarint draws values of every varint length.
func genVarint() *rapid.Generator[uint64] {
	return rapid.OneOf(
		rapid.Uint64Range(0, 63),
		rapid.Uint64Range(64, 1<<14-1),
		rapid.Uint64Range(1<<14, 1<<30-1),
		rapid.Uint64Range(1<<30, wire.MaxVarint),
	)
}

func genText() *rapid.Generator[string]  { return rapid.StringN(0, 16, 64) }
func genBytes() *rapid.Generator[[]byte] { return rapid.SliceOfN(rapid.Byte(), 0, 80) }

// genRaw draws any byte string (exec commands, env, TERM and language tags
// are not required to be UTF-8).
func genRaw() *rapid.Generator[string] {
	return rapid.Map(genBytes(), func(b []byte) string { return string(b) })
}

func genAddress(names bool) *rapid.Generator[frame.Address] {
	return rapid.Custom(func(t *rapid.T) frame.Address {
		fams := []uint64{frame.FamilyIPv4, frame.FamilyIPv6}
		if names {
			fams = append(fams, frame.FamilyName)
		}
		a := frame.Address{Family: rapid.SampledFrom(fams).Draw(t, "family"), Port: rapid.Uint16().Draw(t, "port")}
		switch a.Family {
		case frame.FamilyIPv4:
			a.IP = netip.AddrFrom4([4]byte(rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, "ipv4")))
		case frame.FamilyIPv6:
			a.IP = netip.AddrFrom16([16]byte(rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "ipv6")))
		default:
			a.Host = rapid.StringN(1, 64, frame.MaxHostNameLen).Draw(t, "host")
		}
		return a
	})
}

func custom(f func(t *rapid.T) frame.Message) *rapid.Generator[frame.Message] { return rapid.Custom(f) }

// genMessage draws any message or request of profile p.
func genMessage(p *frame.Profile) *rapid.Generator[frame.Message] {
	v, s, raw, b := genVarint(), genText(), genRaw(), genBytes()
	return rapid.OneOf(
		custom(func(t *rapid.T) frame.Message {
			m := &frame.OpenConfirmation{MaxMessageSize: v.Draw(t, "max")}
			if p == frame.RTH300 {
				m.InitialWindow = v.Draw(t, "window")
			}
			return m
		}),
		custom(func(t *rapid.T) frame.Message {
			return &frame.OpenFailure{Reason: v.Draw(t, "reason"), Description: s.Draw(t, "desc"), Language: raw.Draw(t, "lang")}
		}),
		custom(func(t *rapid.T) frame.Message { return &frame.WindowAdjust{Bytes: v.Draw(t, "bytes")} }),
		custom(func(t *rapid.T) frame.Message { return &frame.Data{Data: b.Draw(t, "data")} }),
		custom(func(t *rapid.T) frame.Message {
			return &frame.ExtendedData{DataType: v.Draw(t, "type"), Data: b.Draw(t, "data")}
		}),
		rapid.Just[frame.Message](&frame.EOF{}),
		rapid.Just[frame.Message](&frame.Close{}),
		rapid.Just[frame.Message](&frame.Success{}),
		rapid.Just[frame.Message](&frame.Failure{}),
		custom(func(t *rapid.T) frame.Message {
			return &frame.UnknownMessage{MsgType: frame.MsgType(rapid.Uint64Range(0, wire.MaxVarint).
				Filter(func(x uint64) bool { return !frame.MsgType(x).Known() }).Draw(t, "type"))}
		}),
		genRequest(p),
	)
}

// genRequest draws any channel request.
func genRequest(_ *frame.Profile) *rapid.Generator[frame.Message] {
	v, s, raw, b, yes := genVarint(), genText(), genRaw(), genBytes(), rapid.Bool()
	return rapid.OneOf(
		custom(func(t *rapid.T) frame.Message {
			return &frame.PtyReq{WantReply: yes.Draw(t, "want"), Term: raw.Draw(t, "term"), Columns: v.Draw(t, "cols"),
				Rows: v.Draw(t, "rows"), WidthPx: v.Draw(t, "w"), HeightPx: v.Draw(t, "h"), Modes: b.Draw(t, "modes")}
		}),
		custom(func(t *rapid.T) frame.Message {
			return &frame.X11Req{WantReply: yes.Draw(t, "want"), SingleConnection: yes.Draw(t, "single"),
				AuthProtocol: raw.Draw(t, "proto"), AuthCookie: raw.Draw(t, "cookie"), Screen: v.Draw(t, "screen")}
		}),
		custom(func(t *rapid.T) frame.Message { return &frame.Shell{WantReply: yes.Draw(t, "want")} }),
		custom(func(t *rapid.T) frame.Message {
			return &frame.Exec{WantReply: yes.Draw(t, "want"), Command: raw.Draw(t, "cmd")}
		}),
		custom(func(t *rapid.T) frame.Message {
			return &frame.Subsystem{WantReply: yes.Draw(t, "want"), Subsystem: s.Draw(t, "name")}
		}),
		custom(func(t *rapid.T) frame.Message {
			return &frame.Env{WantReply: yes.Draw(t, "want"), Variable: raw.Draw(t, "var"), Value: raw.Draw(t, "val")}
		}),
		custom(func(t *rapid.T) frame.Message {
			return &frame.WindowChange{WantReply: yes.Draw(t, "want"), Columns: v.Draw(t, "cols"), Rows: v.Draw(t, "rows"),
				WidthPx: v.Draw(t, "w"), HeightPx: v.Draw(t, "h")}
		}),
		custom(func(t *rapid.T) frame.Message {
			return &frame.XonXoff{WantReply: yes.Draw(t, "want"), ClientCanDo: yes.Draw(t, "can")}
		}),
		custom(func(t *rapid.T) frame.Message {
			return &frame.Signal{WantReply: yes.Draw(t, "want"), Signal: s.Draw(t, "sig")}
		}),
		custom(func(t *rapid.T) frame.Message {
			return &frame.ExitStatus{WantReply: yes.Draw(t, "want"), Status: v.Draw(t, "status")}
		}),
		custom(func(t *rapid.T) frame.Message {
			return &frame.ExitSignal{WantReply: yes.Draw(t, "want"), Signal: s.Draw(t, "sig"), CoreDumped: yes.Draw(t, "core"),
				ErrorMessage: s.Draw(t, "msg"), Language: raw.Draw(t, "lang")}
		}),
		custom(func(t *rapid.T) frame.Message { return &frame.AuthAgent{WantReply: yes.Draw(t, "want")} }),
		custom(func(t *rapid.T) frame.Message {
			return &frame.AgentIncoming{WantReply: yes.Draw(t, "want"), Connection: v.Draw(t, "conn")}
		}),
		custom(func(t *rapid.T) frame.Message {
			return &frame.ReverseBound{WantReply: yes.Draw(t, "want"), Port: v.Draw(t, "port")}
		}),
		custom(func(t *rapid.T) frame.Message {
			return &frame.ReverseIncoming{WantReply: yes.Draw(t, "want"), Connection: v.Draw(t, "conn"),
				Originator: genAddress(false).Draw(t, "originator")}
		}),
		custom(func(t *rapid.T) frame.Message {
			return &frame.UnknownRequest{WantReply: yes.Draw(t, "want"),
				RequestName: s.Filter(func(n string) bool { return !frame.KnownRequest(n) }).Draw(t, "name")}
		}),
	)
}

// genHeader draws a channel header of profile p, with the extra its type
// calls for.
func genHeader(p *frame.Profile) *rapid.Generator[frame.ChannelHeader] {
	known := []string{frame.ChannelSession, frame.ChannelDirectTCP, frame.ChannelDirectUDP, frame.ChannelAgentConnection,
		frame.ChannelX11, frame.ChannelReverseTCP, frame.ChannelReverseUDP}
	return rapid.Custom(func(t *rapid.T) frame.ChannelHeader {
		h := frame.ChannelHeader{Conversation: genVarint().Draw(t, "conv"), MaxMessageSize: genVarint().Draw(t, "max")}
		h.Type = rapid.OneOf(rapid.SampledFrom(known), rapid.StringN(1, 64, frame.MaxChannelTypeLen).
			Filter(func(s string) bool { return s != "" })).Draw(t, "type")
		switch h.Type {
		case frame.ChannelDirectTCP, frame.ChannelDirectUDP:
			a := genAddress(p.HostNameTargets()).Draw(t, "target")
			h.Extra = &a
		case frame.ChannelReverseTCP, frame.ChannelReverseUDP:
			if rapid.Bool().Draw(t, "listen") {
				h.Extra = &frame.ReverseListen{Bind: genAddress(p.HostNameTargets()).Draw(t, "bind")}
			} else {
				h.Extra = &frame.ReverseAccept{Listener: genVarint().Draw(t, "listener"), Connection: genVarint().Draw(t, "conn")}
			}
		case frame.ChannelAgentConnection:
			if !p.ServerOpensChannels() {
				h.Extra = &frame.AgentAccept{Session: genVarint().Draw(t, "session"), Connection: genVarint().Draw(t, "conn")}
			}
		}
		return h
	})
}

func genDatagram(p *frame.Profile) *rapid.Generator[frame.Datagram] {
	return rapid.Custom(func(t *rapid.T) frame.Datagram {
		d := frame.Datagram{Payload: genBytes().Draw(t, "payload")}
		if p.DatagramsNameConversation() {
			d.Conversation = genVarint().Draw(t, "conv")
			d.Channel = genVarint().Draw(t, "channel")
		} else {
			d.Channel = 4 * rapid.Uint64Range(0, frame.MaxQuarterStreamID).Draw(t, "qsid")
		}
		return d
	})
}

func TestPropertyMessages(t *testing.T) {
	both(t, func(t *testing.T, p *frame.Profile) {
		rapid.Check(t, func(t *rapid.T) {
			m := genMessage(p).Draw(t, "message")
			b, err := m.Append(nil, p)
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			if m.Len(p) != len(b) {
				t.Fatalf("Len = %d, Append wrote %d", m.Len(p), len(b))
			}
			dec, n, err := frame.ParseMessage(b, p, uint64(len(b)))
			if err != nil {
				t.Fatalf("ParseMessage(% x): %v", b, err)
			}
			if n != len(b) {
				t.Fatalf("ParseMessage took %d of %d bytes", n, len(b))
			}
			if diff := cmp.Diff(m, dec, cmpOpts...); diff != "" {
				t.Fatalf("round trip (-sent +decoded):\n%s", diff)
			}
			if len(b) > 0 {
				if _, _, err := frame.ParseMessage(b, p, uint64(len(b)-1)); !errors.Is(err, frame.ErrTooLarge) {
					t.Fatalf("max one under the length: %v, want ErrTooLarge", err)
				}
			}
		})
	})
}

// TestPropertyReader: a stream of messages comes out of a Reader whatever
// the chunking of the stream.
func TestPropertyReader(t *testing.T) {
	both(t, func(t *testing.T, p *frame.Profile) {
		rapid.Check(t, func(t *rapid.T) {
			msgs := rapid.SliceOfN(genMessage(p), 0, 8).Draw(t, "messages")
			var stream []byte
			for _, m := range msgs {
				var err error
				if stream, err = m.Append(stream, p); err != nil {
					t.Fatal(err)
				}
			}
			chunks := rapid.SliceOfN(rapid.IntRange(1, 64), 1, 16).Draw(t, "chunks")
			var src io.Reader = &chunkReader{data: stream, sizes: chunks}
			if rapid.Bool().Draw(t, "one-byte") {
				src = iotest.OneByteReader(bytes.NewReader(stream))
			}
			r := frame.NewReader(src, p, 1<<20)
			for i, want := range msgs {
				got, err := r.ReadMessage()
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
					t.Fatalf("message %d (-sent +read):\n%s", i, diff)
				}
			}
			if _, err := r.ReadMessage(); err != io.EOF {
				t.Fatalf("at the end: %v", err)
			}
		})
	})
}

// chunkReader delivers data in reads of the given sizes, cycling.
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(c.sizes[c.i%len(c.sizes)], len(p), len(c.data))
	c.i++
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func TestPropertyHeaders(t *testing.T) {
	both(t, func(t *testing.T, p *frame.Profile) {
		rapid.Check(t, func(t *rapid.T) {
			h := genHeader(p).Draw(t, "header")
			b, err := h.Append(nil, p)
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			if h.Len(p) != len(b) {
				t.Fatalf("Len = %d, Append wrote %d", h.Len(p), len(b))
			}
			if len(b) > frame.MaxHeaderLen {
				t.Fatalf("%d bytes, over MaxHeaderLen", len(b))
			}
			dec, dp, n, err := frame.ParseChannelHeader(b)
			if err != nil || dp != p || n != len(b) {
				t.Fatalf("ParseChannelHeader(% x) = %v, %d, %v", b, dp, n, err)
			}
			if diff := cmp.Diff(h, dec, cmpOpts...); diff != "" {
				t.Fatalf("round trip (-sent +decoded):\n%s", diff)
			}
			rh, _, err := frame.NewReader(&chunkReader{data: b, sizes: []int{3, 1, 7}}, nil, 1<<20).ReadHeader()
			if err != nil || !cmp.Equal(h, rh, cmpOpts...) {
				t.Fatalf("Reader: %+v, %v", rh, err)
			}
		})
	})
}

func TestPropertyDatagrams(t *testing.T) {
	both(t, func(t *testing.T, p *frame.Profile) {
		rapid.Check(t, func(t *rapid.T) {
			d := genDatagram(p).Draw(t, "datagram")
			b, err := p.AppendDatagram(nil, d)
			if err != nil {
				t.Fatalf("AppendDatagram: %v", err)
			}
			if o := p.DatagramOverhead(d.Conversation, d.Channel); o+len(d.Payload) != len(b) {
				t.Fatalf("overhead %d + payload %d != %d", o, len(d.Payload), len(b))
			}
			dec, err := p.ParseDatagram(b)
			if err != nil {
				t.Fatalf("ParseDatagram(% x): %v", b, err)
			}
			if diff := cmp.Diff(d, dec, cmpOpts...); diff != "" {
				t.Fatalf("round trip (-sent +decoded):\n%s", diff)
			}
		})
	})
}

func TestPropertyTerminalModes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		modes := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) frame.TerminalMode {
			return frame.TerminalMode{Opcode: byte(rapid.IntRange(1, 159).Draw(t, "op")), Arg: rapid.Uint32().Draw(t, "arg")}
		}), 0, 20).Draw(t, "modes")
		got, err := frame.ParseTerminalModes(frame.TerminalModes(modes).Append(nil))
		if err != nil || !cmp.Equal(frame.TerminalModes(modes), got, cmpOpts...) {
			t.Fatalf("round trip: %v, %v", got, err)
		}
	})
}

func TestPropertyCaps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := frame.Caps(rapid.Uint32().Draw(t, "caps")) & frame.AllCaps
		if got := frame.ParseCaps(c.String()); got != c {
			t.Fatalf("ParseCaps(%q) = %b, want %b", c.String(), got, c)
		}
		sw := frame.Software{Name: "x/y", Version: "1.2.3"}
		v, err := frame.ParseAlphaVersion(frame.Alpha.ClientVersion(sw, c))
		if err != nil || v.Caps != c {
			t.Fatalf("version round trip: %+v, %v", v, err)
		}
	})
}
