package h3

import (
	"bytes"
	"errors"
	"io"

	"github.com/quic-go/qpack"
	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/quicvarint"
)

// http3 hands a handler no :scheme, so the server reads it with PeekHeaders,
// before the stream goes to http3: an Extended CONNECT for a served :protocol on the
// secret path with a :scheme other than https is answered 400 (X-ROB-3).
// Only the QPACK static table is understood (github.com/quic-go/qpack, as
// http3 itself); anything else (a dynamic table reference, an oversized
// block) is left to http3.

// maxPreflightHeaders bounds the HEADERS frame this looks at.
const maxPreflightHeaders = 16 << 10

// BadRequestFrame is a HEADERS frame holding `:status 400` and, when
// server is not empty, a `server` field, QPACK-encoded against the static
// table only.
func BadRequestFrame(server string) []byte {
	var block bytes.Buffer
	enc := qpack.NewEncoder(&block)
	_ = enc.WriteField(qpack.HeaderField{Name: ":status", Value: "400"})
	if server != "" {
		_ = enc.WriteField(qpack.HeaderField{Name: "server", Value: server})
	}
	f := quicvarint.Append([]byte{FrameHeaders}, uint64(block.Len()))
	return append(f, block.Bytes()...)
}

var errNoPreflight = errors.New("h3: header block not decodable here")

// PeekHeaders returns the request's pseudo-header fields, without consuming
// the stream.
func PeekHeaders(str *quic.Stream) (map[string]string, error) {
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

// decodePseudo decodes a QPACK field section that uses the static table
// only (what quic-go sends) and keeps the pseudo-header fields.
func decodePseudo(b []byte) (map[string]string, error) {
	next := qpack.NewDecoder().Decode(b)
	out := map[string]string{}
	for {
		hf, err := next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, errNoPreflight
		}
		if hf.IsPseudo() {
			out[hf.Name] = hf.Value
		}
	}
}
