// Package conformance is the black-box conformance suite of SSH3. It checks
// an implementation against the interop vectors of spec/vectors (recorded
// from the original implementation; spec/vectors/README.md) and, later,
// against a live server.
//
// [ReplayVectors] replays every vector through the frame package: channel
// headers (spec/SPEC.md §3.2), messages and channel requests (§3.5, §3.6)
// and datagrams (§3.7) must decode to the vector's fields and encode back
// to the same bytes, and the hand-built stimuli of behaviour vectors must
// decode without a panic. Vectors of other layers (HTTP/3, JWT claims, file
// formats) are reported as not applicable.
//
// Results are a [Report] of [Check] values (ID, group, result, expected,
// observed), which [Report.WriteText] prints in the style of h2spec and
// which encode as JSON. cmd/ssh3-conformance is the command-line front end.
//
// This package imports frame, wire and spec only: it tests the protocol
// from outside and never imports app or cmd.
package conformance
