package conn

import (
	"errors"
	"strings"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/quicvarint"
	"golang.org/x/net/http2/hpack"
)

// http3 hands a handler no :scheme, so the server reads it here, before the
// stream goes to http3: an Extended CONNECT for a served :protocol on the
// secret path with a :scheme other than https is answered 400 (X-ROB-3).
// Only the QPACK static table is understood; anything else (a dynamic
// table reference, an oversized block) is left to http3.

// maxPreflightHeaders bounds the HEADERS frame this looks at.
const maxPreflightHeaders = 16 << 10

// badRequestFrame is a HEADERS frame holding `:status 400` (QPACK static
// index 67) and, when server is not empty, a `server` field (a literal with
// a reference to static index 92).
func badRequestFrame(server string) []byte {
	block := []byte{0x00, 0x00, 0xff, 0x04}
	if server != "" {
		block = append(block, 0x5f, 92-15)
		block = appendQPACKInt(block, 0x00, 7, uint64(len(server)))
		block = append(block, server...)
	}
	f := quicvarint.Append([]byte{frameHeaders}, uint64(len(block)))
	return append(f, block...)
}

// appendQPACKInt appends an RFC 7541 §5.1 integer with an n-bit prefix;
// first holds the bits above the prefix.
func appendQPACKInt(b []byte, first byte, n uint, v uint64) []byte {
	mask := uint64(1<<n - 1)
	if v < mask {
		return append(b, first|byte(v))
	}
	b = append(b, first|byte(mask))
	v -= mask
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// qpackStatic holds the static-table entries up to :scheme https (RFC 9204
// Appendix A); later entries are never pseudo-headers of a request.
var qpackStatic = [...][2]string{
	{":authority", ""}, {":path", "/"}, {"age", "0"}, {"content-disposition", ""},
	{"content-length", "0"}, {"cookie", ""}, {"date", ""}, {"etag", ""},
	{"if-modified-since", ""}, {"if-none-match", ""}, {"last-modified", ""}, {"link", ""},
	{"location", ""}, {"referer", ""}, {"set-cookie", ""}, {":method", "CONNECT"},
	{":method", "DELETE"}, {":method", "GET"}, {":method", "HEAD"}, {":method", "OPTIONS"},
	{":method", "POST"}, {":method", "PUT"}, {":scheme", "http"}, {":scheme", "https"},
}

var errNoPreflight = errors.New("conn: header block not decodable here")

// peekHeaders returns the request's pseudo-header fields, without consuming
// the stream.
func peekHeaders(str *quic.Stream) (map[string]string, error) {
	var hdr [16]byte
	if n, _ := str.Peek(hdr[:2]); n < 2 || hdr[0] != 0x01 {
		return nil, errNoPreflight
	}
	ll := 1 << (hdr[1] >> 6)
	if n, _ := str.Peek(hdr[:1+ll]); n < 1+ll {
		return nil, errNoPreflight
	}
	length, _, err := quicvarint.Parse(hdr[1 : 1+ll])
	if err != nil || length > maxPreflightHeaders {
		return nil, errNoPreflight
	}
	buf := make([]byte, 1+ll+int(length))
	if n, _ := str.Peek(buf); n < len(buf) {
		return nil, errNoPreflight
	}
	return decodePseudo(buf[1+ll:])
}

// decodePseudo decodes a static-only QPACK field section and keeps the
// pseudo-header fields.
func decodePseudo(b []byte) (map[string]string, error) {
	// Required Insert Count (8-bit prefix) must be 0; Delta Base follows.
	ric, b, err := qpackInt(b, 8)
	if err != nil || ric != 0 {
		return nil, errNoPreflight
	}
	if _, b, err = qpackInt(b, 7); err != nil {
		return nil, errNoPreflight
	}
	out := map[string]string{}
	for len(b) > 0 {
		var name, value string
		c := b[0]
		switch {
		case c&0x80 != 0: // indexed field line
			if c&0x40 == 0 {
				return nil, errNoPreflight
			}
			var idx uint64
			if idx, b, err = qpackInt(b, 6); err != nil {
				return nil, errNoPreflight
			}
			if idx >= uint64(len(qpackStatic)) {
				continue
			}
			name, value = qpackStatic[idx][0], qpackStatic[idx][1]
		case c&0x40 != 0: // literal with name reference
			if c&0x10 == 0 {
				return nil, errNoPreflight
			}
			var idx uint64
			if idx, b, err = qpackInt(b, 4); err != nil {
				return nil, errNoPreflight
			}
			if value, b, err = qpackString(b, 7); err != nil {
				return nil, errNoPreflight
			}
			if idx < uint64(len(qpackStatic)) {
				name = qpackStatic[idx][0]
			}
		case c&0x20 != 0: // literal with literal name
			if name, b, err = qpackString(b, 3); err != nil {
				return nil, errNoPreflight
			}
			if value, b, err = qpackString(b, 7); err != nil {
				return nil, errNoPreflight
			}
		default: // post-base references need the dynamic table
			return nil, errNoPreflight
		}
		if strings.HasPrefix(name, ":") {
			out[name] = value
		}
	}
	return out, nil
}

// qpackInt decodes an RFC 7541 §5.1 integer with an n-bit prefix.
func qpackInt(b []byte, n uint) (uint64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errNoPreflight
	}
	mask := byte(1<<n - 1)
	v := uint64(b[0] & mask)
	b = b[1:]
	if v < uint64(mask) {
		return v, b, nil
	}
	var shift uint
	for {
		if len(b) == 0 || shift > 56 {
			return 0, nil, errNoPreflight
		}
		c := b[0]
		b = b[1:]
		v += uint64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			return v, b, nil
		}
	}
}

// qpackString decodes a string literal whose Huffman flag sits just above
// an n-bit length prefix.
func qpackString(b []byte, n uint) (string, []byte, error) {
	if len(b) == 0 {
		return "", nil, errNoPreflight
	}
	huff := b[0]&(1<<n) != 0
	l, rest, err := qpackInt(b, n)
	if err != nil || l > uint64(len(rest)) {
		return "", nil, errNoPreflight
	}
	raw := rest[:l]
	rest = rest[l:]
	if !huff {
		return string(raw), rest, nil
	}
	s, err := hpack.HuffmanDecodeToString(raw)
	if err != nil {
		return "", nil, errNoPreflight
	}
	return s, rest, nil
}
