package wire

import (
	"fmt"
	"io"
)

// MaxVarint is the largest value a QUIC varint carries: 2^62-1.
const MaxVarint = 1<<62 - 1

const (
	max1 = 1<<6 - 1
	max2 = 1<<14 - 1
	max4 = 1<<30 - 1
)

// Reader is what ReadX functions read from: a stream that can also hand out
// one byte at a time (bufio.Reader, bytes.Reader, quic-go streams wrapped in
// bufio).
type Reader interface {
	io.Reader
	io.ByteReader
}

// VarintLen returns the minimal encoded length of v: 1, 2, 4 or 8. It panics
// if v exceeds MaxVarint.
func VarintLen(v uint64) int {
	switch {
	case v <= max1:
		return 1
	case v <= max2:
		return 2
	case v <= max4:
		return 4
	case v <= MaxVarint:
		return 8
	}
	panic(fmt.Sprintf("wire: %d does not fit a varint", v))
}

// ValidVarint reports whether v can be encoded as a varint. Encoders of
// values that come from outside (exit codes, sizes) check it first so that
// AppendVarint never panics on them.
func ValidVarint(v uint64) bool { return v <= MaxVarint }

// AppendVarint appends the minimal encoding of v. It panics if v exceeds
// MaxVarint.
func AppendVarint(b []byte, v uint64) []byte {
	return AppendVarintLen(b, v, VarintLen(v))
}

// AppendVarintLen appends v encoded on exactly n bytes (1, 2, 4 or 8). It
// panics if n is not one of those or v does not fit in n bytes: both are
// programmer errors.
func AppendVarintLen(b []byte, v uint64, n int) []byte {
	if n < VarintLen(v) {
		panic(fmt.Sprintf("wire: %d does not fit a %d-byte varint", v, n))
	}
	switch n {
	case 1:
		return append(b, byte(v))
	case 2:
		return append(b, byte(v>>8)|0x40, byte(v))
	case 4:
		return append(b, byte(v>>24)|0x80, byte(v>>16), byte(v>>8), byte(v))
	case 8:
		return append(b, byte(v>>56)|0xc0, byte(v>>48), byte(v>>40), byte(v>>32),
			byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	panic(fmt.Sprintf("wire: %d is not a varint length", n))
}

// ParseVarint decodes one varint from the front of b and returns it with the
// number of bytes it took. Non-minimal encodings are accepted.
func ParseVarint(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, io.EOF
	}
	n := 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0, ErrTruncated
	}
	v := uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n, nil
}

// ParseVarintLen is ParseVarint that also reports whether the encoding was
// longer than needed.
func ParseVarintLen(b []byte) (v uint64, n int, minimal bool, err error) {
	v, n, err = ParseVarint(b)
	return v, n, err == nil && n == VarintLen(v), err
}

// ReadVarint reads one varint from r. An r that is empty before the first
// byte gives io.EOF; one that ends inside the varint gives ErrTruncated.
func ReadVarint(r io.ByteReader) (uint64, error) {
	first, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	n := 1 << (first >> 6)
	v := uint64(first & 0x3f)
	for i := 1; i < n; i++ {
		c, err := r.ReadByte()
		if err != nil {
			return 0, truncated(err)
		}
		v = v<<8 | uint64(c)
	}
	return v, nil
}
