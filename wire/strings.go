package wire

import (
	"bytes"
	"io"
	"unicode/utf8"
)

// StringLen is the encoded length of a string or byte string of n bytes.
func StringLen(n int) int { return VarintLen(uint64(n)) + n }

// AppendString appends s with its varint length prefix.
func AppendString(b []byte, s string) []byte {
	return append(AppendVarint(b, uint64(len(s))), s...)
}

// AppendBytes appends p with its varint length prefix.
func AppendBytes(b []byte, p []byte) []byte {
	return append(AppendVarint(b, uint64(len(p))), p...)
}

// ParseBytes decodes a length-prefixed byte string from the front of b. The
// result aliases b; it is not copied. A length above max is a *LengthError,
// reported before the bytes it announces are looked at.
func ParseBytes(b []byte, max uint64) ([]byte, int, error) {
	l, n, err := ParseVarint(b)
	if err != nil {
		return nil, 0, err
	}
	if l > max {
		return nil, 0, &LengthError{Length: l, Max: max}
	}
	if uint64(len(b)-n) < l {
		return nil, 0, ErrTruncated
	}
	end := n + int(l)
	return b[n:end:end], end, nil
}

// ParseString is ParseBytes returning a string (a copy).
func ParseString(b []byte, max uint64) (string, int, error) {
	p, n, err := ParseBytes(b, max)
	if err != nil {
		return "", 0, err
	}
	return string(p), n, nil
}

// ParseUTF8 is ParseString for fields that must be UTF-8; anything else is
// ErrInvalidUTF8.
func ParseUTF8(b []byte, max uint64) (string, int, error) {
	p, n, err := ParseBytes(b, max)
	if err != nil {
		return "", 0, err
	}
	if !utf8.Valid(p) {
		return "", 0, ErrInvalidUTF8
	}
	return string(p), n, nil
}

// ReadBytes reads a length-prefixed byte string from r into a new slice. The
// length is checked against max before anything is allocated, and a long
// string is allocated as its bytes arrive, not as announced.
func ReadBytes(r Reader, max uint64) ([]byte, error) {
	l, err := ReadVarint(r)
	if err != nil {
		return nil, err
	}
	if l > max {
		return nil, &LengthError{Length: l, Max: max}
	}
	if l <= readChunk {
		p := make([]byte, l)
		if _, err := io.ReadFull(r, p); err != nil {
			return nil, truncated(err)
		}
		return p, nil
	}
	// A large claim is not trusted for the allocation (max may be large
	// too): the buffer grows with the bytes that actually arrive.
	var buf bytes.Buffer
	buf.Grow(readChunk)
	if _, err := io.CopyN(&buf, r, int64(l)); err != nil {
		return nil, truncated(err)
	}
	return buf.Bytes(), nil
}

// readChunk is the largest length ReadBytes allocates before the bytes
// arrive.
const readChunk = 64 << 10

// ReadString is ReadBytes returning a string.
func ReadString(r Reader, max uint64) (string, error) {
	p, err := ReadBytes(r, max)
	return string(p), err
}
