// Package wire holds the primitive encodings every SSH3 message is built
// from: QUIC variable-length integers (RFC 9000 §16), varint-length-prefixed
// strings and byte strings (protocol notes §3.1, gap G1), and one-byte
// booleans.
//
// The API follows one pattern for every primitive:
//
//   - AppendX(b, v) appends the encoding of v to b and returns the result.
//   - ParseX(b, ...) decodes one value from the front of b and returns it with
//     the number of bytes consumed. Empty input is [io.EOF]; input that ends
//     inside a value is [ErrTruncated], which matches [io.ErrUnexpectedEOF]
//     under errors.Is.
//   - ReadX(r, ...) decodes one value from a stream.
//   - XLen(v) is the encoded length.
//
// Append and Parse never allocate. Appending a varint above [MaxVarint] is a
// programmer error and panics; decoding never panics on any input.
//
// Non-minimal varint encodings are accepted on read (RFC 9000 §16 allows
// them, and the ssh3-alpha peer writes its channel signal as an 8-byte
// varint); [AppendVarintLen] writes a value with a chosen length.
//
// This package imports the standard library only.
package wire
