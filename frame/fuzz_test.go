package frame_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/spec"
)

// Every parser is fuzzed (style practice 5), seeded from the vectors and
// the table cases. When a parse succeeds, re-encoding must give back the
// bytes it consumed. The one documented exception is a non-minimal varint
// (RFC 9000 §16 allows any length; H-9000-1): the encoder writes the minimal
// form, so a shorter re-encoding is accepted when it decodes to the same
// value.

// seeds returns the bytes of every vector and table case.
func seeds(tb testing.TB) [][]byte {
	var out [][]byte
	files, err := spec.VectorFiles()
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range files {
		for _, v := range f.Vectors {
			if _, skip := notFrames[v.Layer]; skip {
				continue
			}
			if b, err := v.Bytes(); err == nil && len(b) > 0 {
				out = append(out, b)
			}
			for _, k := range streamKeys {
				if s, ok := v.Fields[k].(string); ok {
					if b, err := hex.DecodeString(strings.Fields(s + " x")[0]); err == nil {
						out = append(out, b)
					}
				}
			}
		}
	}
	for _, c := range append(messageCases(), requestCases()...) {
		out = append(out, wireBytes(c.wire))
	}
	for _, c := range headerCases() {
		for _, p := range profiles(c.p) {
			out = append(out, wireBytes(signalOf(p)+" "+c.wire))
		}
	}
	for _, c := range datagramCases() {
		out = append(out, wireBytes(c.wire))
	}
	return append(out, nil, []byte{0x40}, wireBytes(`40 5e c0 00 01 00 00 00 00 00`),
		wireBytes(`80 00 00 5e 02 "hi"`), wireBytes(`d0 00 00 00 00 00 00 00`), wireBytes(`7f ff`))
}

// typedErr reports whether err is one of the errors the decoders promise.
func typedErr(err error, empty bool) bool {
	var se *frame.SizeError
	var fe *frame.FieldError
	return (empty && err == io.EOF) || errors.As(err, &se) || errors.As(err, &fe)
}

// sameOrCanonical checks the re-encoding enc of the consumed bytes in: the
// same bytes, or a shorter (minimal-varint) form that parse decodes to the
// same value.
func sameOrCanonical[V any](t *testing.T, in, enc []byte, v V, parse func([]byte) (V, int, error)) {
	t.Helper()
	if bytes.Equal(enc, in) {
		return
	}
	if len(enc) >= len(in) {
		t.Fatalf("re-encoded % x as % x: not shorter, so not a non-minimal varint", in, enc)
	}
	again, n, err := parse(enc)
	if err != nil || n != len(enc) {
		t.Fatalf("re-encoding % x of % x does not decode: %d, %v", enc, in, n, err)
	}
	if diff := cmp.Diff(v, again, cmpOpts...); diff != "" {
		t.Fatalf("re-encoding of % x decodes differently (-first +again):\n%s", in, diff)
	}
}

func pickProfile(rth bool) *frame.Profile {
	if rth {
		return frame.RTH300
	}
	return frame.Alpha
}

func FuzzParseMessage(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s, false, uint64(frame.DefaultMaxMessageSize))
		f.Add(s, true, uint64(len(s)))
	}
	f.Fuzz(func(t *testing.T, in []byte, rth bool, max uint64) {
		p := pickProfile(rth)
		m, n, err := frame.ParseMessage(in, p, max)
		if err != nil {
			if !typedErr(err, len(in) == 0) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if n <= 0 || n > len(in) {
			t.Fatalf("took %d of %d bytes", n, len(in))
		}
		if uint64(n) > max {
			t.Fatalf("%d-byte message over max %d", n, max)
		}
		enc, err := m.Append(nil, p)
		if err != nil {
			t.Fatalf("decoded %#v does not encode: %v", m, err)
		}
		if m.Len(p) != len(enc) {
			t.Fatalf("Len %d, Append %d", m.Len(p), len(enc))
		}
		sameOrCanonical(t, in[:n], enc, m, func(b []byte) (frame.Message, int, error) {
			return frame.ParseMessage(b, p, max)
		})
	})
}

func FuzzParseChannelHeader(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		h, p, n, err := frame.ParseChannelHeader(in)
		if err != nil {
			if !typedErr(err, len(in) == 0) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if p == nil || n <= 0 || n > len(in) {
			t.Fatalf("profile %v, took %d of %d bytes", p, n, len(in))
		}
		enc, err := h.Append(nil, p)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", h, err)
		}
		if h.Len(p) != len(enc) || len(enc) > frame.MaxHeaderLen {
			t.Fatalf("Len %d, Append %d, MaxHeaderLen %d", h.Len(p), len(enc), frame.MaxHeaderLen)
		}
		sameOrCanonical(t, in[:n], enc, h, func(b []byte) (frame.ChannelHeader, int, error) {
			h, q, n, err := frame.ParseChannelHeader(b)
			if err == nil && q != p {
				t.Fatalf("re-encoding names %v, not %v", q, p)
			}
			return h, n, err
		})
		// The Reader decodes the same header from any chunking.
		rh, rp, err := frame.NewReader(&chunkReader{data: in, sizes: []int{1, 5, 2}}, nil, 30000).ReadHeader()
		if err != nil || rp != p || !cmp.Equal(h, rh, cmpOpts...) {
			t.Fatalf("Reader: %+v %v %v", rh, rp, err)
		}
	})
}

func FuzzParseDatagram(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in []byte, rth bool) {
		p := pickProfile(rth)
		d, err := p.ParseDatagram(in)
		if err != nil {
			if !errors.Is(err, frame.ErrDatagram) {
				t.Fatalf("error %v does not match ErrDatagram", err)
			}
			return
		}
		enc, err := p.AppendDatagram(nil, d)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", d, err)
		}
		sameOrCanonical(t, in, enc, d, func(b []byte) (frame.Datagram, int, error) {
			d, err := p.ParseDatagram(b)
			return d, len(b), err
		})
	})
}

// FuzzReader feeds a stream through a Reader in random chunks and checks it
// against ParseMessage walking the same bytes.
func FuzzReader(f *testing.F) {
	all := seeds(f)
	for i, s := range all {
		f.Add(s, i%2 == 0, []byte{1, 7, 3}, uint16(30000))
		if i+1 < len(all) {
			f.Add(append(bytes.Clone(s), all[i+1]...), i%2 == 1, []byte{0}, uint16(300))
		}
	}
	f.Fuzz(func(t *testing.T, stream []byte, rth bool, chunks []byte, maxSize uint16) {
		p := pickProfile(rth)
		max := uint64(maxSize)
		if max == 0 {
			max = 1
		}
		sizes := []int{64}
		if len(chunks) > 0 {
			sizes = sizes[:0]
			for _, c := range chunks {
				sizes = append(sizes, int(c)%97+1)
			}
		}
		r := frame.NewReader(&chunkReader{data: bytes.Clone(stream), sizes: sizes}, p, max)
		rest := stream
		for i := 0; ; i++ {
			want, n, perr := frame.ParseMessage(rest, p, max)
			got, rerr := r.ReadMessage()
			if (perr == nil) != (rerr == nil) {
				t.Fatalf("message %d: ParseMessage %v, Reader %v", i, perr, rerr)
			}
			if perr != nil {
				if (perr == io.EOF) != (rerr == io.EOF) {
					t.Fatalf("message %d: ParseMessage %v, Reader %v", i, perr, rerr)
				}
				if rerr != io.EOF && !typedErr(rerr, false) {
					t.Fatalf("Reader: untyped error %T: %v", rerr, rerr)
				}
				return
			}
			if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
				t.Fatalf("message %d (-ParseMessage +Reader):\n%s", i, diff)
			}
			rest = rest[n:]
		}
	})
}

func FuzzParseTerminalModes(f *testing.F) {
	f.Add([]byte{})
	f.Add(wireBytes(`01 00 00 00 03 35 00 00 00 01 80 00 00 96 00 00`))
	f.Add(wireBytes(`35 00 00 00 01 a0 00 00 00 01 00`))
	f.Add(wireBytes(`01 00 00`))
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		modes, err := frame.ParseTerminalModes(in)
		if err != nil {
			var fe *frame.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("error %v: want a truncation", err)
			}
			return
		}
		enc := modes.Append(nil)
		if len(enc) != 5*len(modes)+1 {
			t.Fatalf("%d modes encode to %d bytes", len(modes), len(enc))
		}
		// Canonical form: what was read, cut at the end marker.
		if consumed := 5 * len(modes); !bytes.Equal(enc[:consumed], in[:consumed]) {
			t.Fatalf("re-encoded % x, read % x", enc[:consumed], in[:consumed])
		}
		for _, m := range modes {
			if m.Opcode == 0 || m.Opcode >= 160 {
				t.Fatalf("opcode %d decoded", m.Opcode)
			}
		}
		again, err := frame.ParseTerminalModes(enc)
		if err != nil || !cmp.Equal(modes, again, cmpOpts...) {
			t.Fatalf("round trip: %v, %v", again, err)
		}
	})
}

// versionSeeds are version values from §2.4, the alpha captures and G8.
var versionSeeds = []string{
	"SSH 3.0 francoismichel/ssh3 0.1.7 experimental_spec_version=alpha-00",
	"SSH 3.0 probe/independent 0.0.1 experimental_spec_version=alpha-00",
	"SSH 3.0 francoismichel/ssh3 0.1.4",
	"SSH 3.0_alpha-00 x/y 1.2.3 experimental_spec_version=alpha-00 caps=eof,reply",
	"SSH 3.1 francoismichel/ssh3 0.1.7",
	"michel-remote-terminal-http3-99, michel-remote-terminal-http3-00",
	"michel-remote-terminal-http3-00",
	`"quoted", x`,
	"",
}

func FuzzParseAlphaVersion(f *testing.F) {
	for _, s := range versionSeeds {
		f.Add(s)
	}
	for _, v := range vectorVersions(f) {
		f.Add(v.value)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := frame.ParseAlphaVersion(s)
		if err != nil {
			var ve *frame.VersionError
			if !errors.Is(err, frame.ErrVersion) || !errors.As(err, &ve) {
				t.Fatalf("error %v: want a *VersionError", err)
			}
			return
		}
		if v.Spec != frame.AlphaSpecVersion {
			t.Fatalf("accepted spec %q", v.Spec)
		}
		// What was accepted is re-announced identically.
		again, err := frame.ParseAlphaVersion(frame.Alpha.ClientVersion(v.Software, v.Caps))
		if err != nil || again.Software != v.Software || again.Caps != v.Caps {
			t.Fatalf("re-announced %+v as %+v, %v", v, again, err)
		}
	})
}

func FuzzAcceptVersion(f *testing.F) {
	for _, s := range versionSeeds {
		f.Add(s, true)
	}
	for _, v := range vectorVersions(f) {
		f.Add(v.value, true)
	}
	f.Add("", false)
	f.Fuzz(func(t *testing.T, s string, present bool) {
		for _, p := range frame.Profiles() {
			v, err := p.AcceptVersion(s, present)
			if err != nil {
				if !errors.Is(err, frame.ErrVersion) {
					t.Fatalf("%v: error %v does not match ErrVersion", p, err)
				}
				continue
			}
			if p == frame.RTH300 && (v.Spec != frame.RTHDraft00 || (present && !strings.Contains(s, frame.RTHDraft00))) {
				t.Fatalf("rth3-00 accepted %q as %+v", s, v)
			}
			if p == frame.Alpha && (!present || v.Spec != frame.AlphaSpecVersion) {
				t.Fatalf("alpha accepted %q (present %v) as %+v", s, present, v)
			}
		}
	})
}
