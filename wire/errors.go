package wire

import (
	"errors"
	"fmt"
	"io"
)

// ErrTruncated reports input that ends inside a value. It matches
// io.ErrUnexpectedEOF under errors.Is.
var ErrTruncated = fmt.Errorf("wire: truncated input: %w", io.ErrUnexpectedEOF)

// ErrInvalidUTF8 reports a string that must be UTF-8 and is not.
var ErrInvalidUTF8 = errors.New("wire: string is not valid UTF-8")

// BoolError reports a boolean byte other than 0 or 1.
type BoolError struct {
	Value byte
}

func (e *BoolError) Error() string {
	return fmt.Sprintf("wire: boolean byte is 0x%02x, want 0x00 or 0x01", e.Value)
}

// LengthError reports a length prefix larger than the caller's maximum. The
// bytes it announces are never read or allocated.
type LengthError struct {
	Length uint64 // the announced length
	Max    uint64 // the caller's maximum
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("wire: length %d exceeds the maximum of %d", e.Length, e.Max)
}

// truncated maps an io.EOF or io.ErrUnexpectedEOF (io.ReadFull's report of a
// partial read) met after the start of a value to ErrTruncated: once a value
// has begun, running out is never a clean end.
func truncated(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return ErrTruncated
	}
	return err
}
