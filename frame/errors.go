package frame

import (
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/ssh3-project/ssh3/wire"
)

// ErrTooLarge is matched (errors.Is) by every error that reports a message,
// field or header over its limit.
var ErrTooLarge = errors.New("frame: exceeds the maximum message size")

// ErrNotChannel reports a stream whose first varint is no profile's signal.
var ErrNotChannel = errors.New("frame: not an SSH3 channel signal")

// SizeError reports a message or field larger than the limit that applies.
type SizeError struct {
	What string // what was too large, e.g. "CHANNEL_DATA data"
	Size uint64
	Max  uint64
	// AtLeast: Size is what had arrived when the limit was hit; the
	// message itself is longer.
	AtLeast bool
}

func (e *SizeError) Error() string {
	if e.AtLeast {
		return fmt.Sprintf("frame: %s is more than %d bytes, over the maximum of %d", e.What, e.Size, e.Max)
	}
	return fmt.Sprintf("frame: %s is %d bytes, over the maximum of %d", e.What, e.Size, e.Max)
}

// Is makes every SizeError match ErrTooLarge.
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }

// FieldError reports a field that does not decode. It wraps the cause, so
// errors.Is(err, io.ErrUnexpectedEOF) tells a truncated input from a bad one.
type FieldError struct {
	What  string // the message, request or header being decoded
	Field string
	Err   error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("frame: %s: %s: %v", e.What, e.Field, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// ValueError reports a value that cannot be encoded or is not allowed (a
// varint over 2^62-1, an unknown address family, a host name in a profile
// without them).
type ValueError struct {
	What   string
	Reason string
}

func (e *ValueError) Error() string { return fmt.Sprintf("frame: %s: %s", e.What, e.Reason) }

// fieldErr wraps a wire error for a field. A field that starts past the end of
// the input is a truncation, never a clean end.
func fieldErr(what, field string, err error) error {
	if err == io.EOF {
		err = wire.ErrTruncated
	}
	var le *wire.LengthError
	if errors.As(err, &le) {
		return &SizeError{What: what + " " + field, Size: le.Length, Max: le.Max}
	}
	return &FieldError{What: what, Field: field, Err: err}
}

// checkVarints reports the first value that no varint can carry.
func checkVarints(what string, vs ...uint64) error {
	for _, v := range vs {
		if !wire.ValidVarint(v) {
			return &ValueError{What: what, Reason: fmt.Sprintf("%d does not fit a varint", v)}
		}
	}
	return nil
}

// checkUTF8 reports the first string that must be UTF-8 and is not: the
// decoder refuses it, so the encoder must not write it.
func checkUTF8(what string, ss ...string) error {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return &ValueError{What: what, Reason: fmt.Sprintf("%q is not valid UTF-8", s)}
		}
	}
	return nil
}

// varLen is wire.VarintLen that does not panic: out-of-range values are
// refused by Append, so any length will do for them.
func varLen(v uint64) int {
	if !wire.ValidVarint(v) {
		return 8
	}
	return wire.VarintLen(v)
}

func strLen(n int) int { return varLen(uint64(n)) + n }
