package frame_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ssh3-project/ssh3/frame"
)

// testMax is the maximum message size every table test decodes with: the
// size the original announces (§3.4).
const testMax = frame.DefaultMaxMessageSize

// cmpOpts compares decoded values with the values they were encoded from:
// a decoded empty byte string is an empty slice where the original may hold
// nil, and netip.Addr has unexported fields.
var cmpOpts = []cmp.Option{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
}

// wireBytes decodes the notation of the protocol notes: hex bytes separated
// by any white space, and "text" standing for the ASCII bytes of text
// (\n, \r and \" are understood inside the quotes).
func wireBytes(s string) []byte {
	var out []byte
	var hexDigits strings.Builder
	flush := func() {
		h := hexDigits.String()
		hexDigits.Reset()
		b, err := hex.DecodeString(h)
		if err != nil {
			panic(fmt.Sprintf("bad hex %q in %q: %v", h, s, err))
		}
		out = append(out, b...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			flush()
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					switch s[i] {
					case 'n':
						out = append(out, '\n')
					case 'r':
						out = append(out, '\r')
					default:
						out = append(out, s[i])
					}
					continue
				}
				out = append(out, s[i])
			}
			if i >= len(s) {
				panic(fmt.Sprintf("unterminated quote in %q", s))
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '|':
		default:
			hexDigits.WriteByte(c)
		}
	}
	flush()
	return out
}

// checkEnd asserts the error for input cut after off bytes: io.EOF itself
// (not wrapped) for empty input, a match of io.ErrUnexpectedEOF otherwise.
func checkEnd(t testing.TB, what string, off int, err error) {
	t.Helper()
	if off == 0 {
		if err != io.EOF {
			t.Errorf("%s: empty input: err = %v, want io.EOF", what, err)
		}
		return
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("%s: prefix of %d bytes: err = %v, want a match of io.ErrUnexpectedEOF", what, off, err)
	}
}

// noPanic runs f and turns a panic into a test failure naming what.
func noPanic(t testing.TB, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: panic: %v", what, r)
		}
	}()
	f()
}

// oneByteStream is a stream that delivers data one byte per Read.
func oneByteStream(data []byte) io.Reader {
	return iotest.OneByteReader(bytes.NewReader(data))
}

// checkMessage tests m the four ways of style practice 4 under profile p:
// the exact bytes of Append (after a prefix, which must be kept), Len, the
// round trip through ParseMessage and through a Reader fed one byte at a
// time, and every truncated prefix failing cleanly.
func checkMessage(t *testing.T, p *frame.Profile, m frame.Message, want []byte) {
	t.Helper()
	prefix := []byte{0xaa, 0xbb}
	got, err := m.Append(bytes.Clone(prefix), p)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if !bytes.Equal(got[:len(prefix)], prefix) {
		t.Errorf("Append changed the bytes before it: % x", got[:len(prefix)])
	}
	if got := got[len(prefix):]; !bytes.Equal(got, want) {
		t.Errorf("Append = % x\nwant     % x", got, want)
	}
	if l := m.Len(p); l != len(want) {
		t.Errorf("Len = %d, want %d", l, len(want))
	}
	if got, err := frame.AppendMessage(nil, m, p, testMax); err != nil || !bytes.Equal(got, want) {
		t.Errorf("AppendMessage = % x, %v", got, err)
	}

	trailer := []byte{0x40, 0x63} // CHANNEL_SUCCESS after it: must be left alone
	dec, n, err := frame.ParseMessage(append(bytes.Clone(want), trailer...), p, testMax)
	if err != nil {
		t.Fatalf("ParseMessage: %v", err)
	}
	if n != len(want) {
		t.Errorf("ParseMessage took %d bytes, want %d", n, len(want))
	}
	if dec.Type() != m.Type() {
		t.Errorf("ParseMessage: type %v, want %v", dec.Type(), m.Type())
	}
	if diff := cmp.Diff(m, dec, cmpOpts...); diff != "" {
		t.Errorf("ParseMessage round trip (-sent +decoded):\n%s", diff)
	}

	r := frame.NewReader(oneByteStream(append(bytes.Clone(want), trailer...)), p, testMax)
	rm, err := r.ReadMessage()
	if err != nil {
		t.Fatalf("Reader.ReadMessage: %v", err)
	}
	if diff := cmp.Diff(m, rm, cmpOpts...); diff != "" {
		t.Errorf("Reader round trip (-sent +decoded):\n%s", diff)
	}
	if next, err := r.ReadMessage(); err != nil || next.Type() != frame.MsgSuccess {
		t.Errorf("Reader: message after it = %v, %v; want CHANNEL_SUCCESS", next, err)
	}
	if _, err := r.ReadMessage(); err != io.EOF {
		t.Errorf("Reader at the end: err = %v, want io.EOF", err)
	}

	for i := 0; i < len(want); i++ {
		cut := bytes.Clone(want[:i])
		noPanic(t, fmt.Sprintf("ParseMessage(prefix %d)", i), func() {
			_, _, err := frame.ParseMessage(cut, p, testMax)
			checkEnd(t, "ParseMessage", i, err)
		})
		_, err := frame.NewReader(oneByteStream(cut), p, testMax).ReadMessage()
		checkEnd(t, "Reader.ReadMessage", i, err)
	}
}

// checkHeader is checkMessage for a channel header: it also checks that the
// decoder names profile p (the signal tells).
func checkHeader(t *testing.T, p *frame.Profile, h frame.ChannelHeader, want []byte) {
	t.Helper()
	prefix := []byte{0x01}
	got, err := h.Append(bytes.Clone(prefix), p)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if got := got[len(prefix):]; !bytes.Equal(got, want) {
		t.Errorf("Append = % x\nwant     % x", got, want)
	}
	if l := h.Len(p); l != len(want) {
		t.Errorf("Len = %d, want %d", l, len(want))
	}

	trailer := wireBytes(`40 62 05 "shell" 01`) // a pipelined request
	dec, dp, n, err := frame.ParseChannelHeader(append(bytes.Clone(want), trailer...))
	if err != nil {
		t.Fatalf("ParseChannelHeader: %v", err)
	}
	if dp != p {
		t.Errorf("ParseChannelHeader: profile %v, want %v", dp, p)
	}
	if n != len(want) {
		t.Errorf("ParseChannelHeader took %d bytes, want %d", n, len(want))
	}
	if diff := cmp.Diff(h, dec, cmpOpts...); diff != "" {
		t.Errorf("ParseChannelHeader round trip (-sent +decoded):\n%s", diff)
	}

	r := frame.NewReader(oneByteStream(append(bytes.Clone(want), trailer...)), nil, testMax)
	rh, rp, err := r.ReadHeader()
	if err != nil {
		t.Fatalf("Reader.ReadHeader: %v", err)
	}
	if rp != p || r.Profile() != p {
		t.Errorf("Reader.ReadHeader: profile %v (Reader has %v), want %v", rp, r.Profile(), p)
	}
	if diff := cmp.Diff(h, rh, cmpOpts...); diff != "" {
		t.Errorf("Reader round trip (-sent +decoded):\n%s", diff)
	}
	if m, err := r.ReadMessage(); err != nil || m.Type() != frame.MsgRequest {
		t.Errorf("Reader: message after the header = %v, %v; want the shell request", m, err)
	}

	for i := 0; i < len(want); i++ {
		cut := bytes.Clone(want[:i])
		noPanic(t, fmt.Sprintf("ParseChannelHeader(prefix %d)", i), func() {
			_, _, _, err := frame.ParseChannelHeader(cut)
			checkEnd(t, "ParseChannelHeader", i, err)
		})
		_, _, err := frame.NewReader(oneByteStream(cut), nil, testMax).ReadHeader()
		checkEnd(t, "Reader.ReadHeader", i, err)
	}
}

// both runs f once per profile, as a subtest named after the profile.
func both(t *testing.T, f func(t *testing.T, p *frame.Profile)) {
	for _, p := range frame.Profiles() {
		t.Run(p.Name(), func(t *testing.T) { f(t, p) })
	}
}

// profiles is the profiles a table case applies to: p alone, or both when
// p is nil.
func profiles(p *frame.Profile) []*frame.Profile {
	if p == nil {
		return frame.Profiles()
	}
	return []*frame.Profile{p}
}

// addr parses an IP address literal.
func addr(s string) netip.Addr { return netip.MustParseAddr(s) }
