package frame

import "github.com/ssh3-project/ssh3/wire"

// decoder walks a byte slice field by field. The first error sticks; later
// calls return zero values, so a decode function reads as a list of fields
// and checks d.err once.
type decoder struct {
	what string // for error messages
	b    []byte
	n    int    // bytes consumed
	max  uint64 // bound on any length prefix
	err  error
}

func newDecoder(what string, b []byte, max uint64) *decoder {
	return &decoder{what: what, b: b, max: max}
}

func (d *decoder) varint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n, err := wire.ParseVarint(d.b[d.n:])
	if err != nil {
		d.err = fieldErr(d.what, field, err)
		return 0
	}
	d.n += n
	return v
}

func (d *decoder) bytes(field string) []byte {
	if d.err != nil {
		return nil
	}
	p, n, err := wire.ParseBytes(d.b[d.n:], d.max)
	if err != nil {
		d.err = fieldErr(d.what, field, err)
		return nil
	}
	d.n += n
	return p
}

func (d *decoder) string(field string) string { return string(d.bytes(field)) }

func (d *decoder) utf8(field string) string {
	if d.err != nil {
		return ""
	}
	s, n, err := wire.ParseUTF8(d.b[d.n:], d.max)
	if err != nil {
		d.err = fieldErr(d.what, field, err)
		return ""
	}
	d.n += n
	return s
}

func (d *decoder) bool(field string) bool {
	if d.err != nil {
		return false
	}
	v, n, err := wire.ParseBool(d.b[d.n:])
	if err != nil {
		d.err = fieldErr(d.what, field, err)
		return false
	}
	d.n += n
	return v
}

// fixed takes exactly n raw bytes (addresses, ports).
func (d *decoder) fixed(field string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b)-d.n < n {
		d.err = fieldErr(d.what, field, wire.ErrTruncated)
		return nil
	}
	p := d.b[d.n : d.n+n : d.n+n]
	d.n += n
	return p
}
