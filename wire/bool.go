package wire

import "io"

// BoolLen is the encoded length of a boolean.
const BoolLen = 1

// AppendBool appends v as one byte, 0 or 1.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// ParseBool decodes a boolean from the front of b. Bytes other than 0 and 1
// are a *BoolError (the ssh3-alpha peer reads any non-zero byte as true, but
// never sends one).
func ParseBool(b []byte) (bool, int, error) {
	if len(b) == 0 {
		return false, 0, io.EOF
	}
	v, err := boolOf(b[0])
	if err != nil {
		return false, 0, err
	}
	return v, 1, nil
}

// ReadBool reads one boolean from r.
func ReadBool(r io.ByteReader) (bool, error) {
	c, err := r.ReadByte()
	if err != nil {
		return false, err
	}
	return boolOf(c)
}

func boolOf(c byte) (bool, error) {
	switch c {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, &BoolError{Value: c}
}
