// Package conformance is the black-box conformance suite of SSH3: one
// check (at least) per requirement ID of spec/REQUIREMENTS.md, each
// reporting its ID, level, result (pass, fail, skip with the reason, n/a)
// and expected against observed.
//
// Server-under-test mode ([Suite.RunServer]): the suite is the client of a
// live server. It speaks HTTP/3 itself on raw quic-go (h3client.go: its own
// control stream and SETTINGS, QPACK-encoded HEADERS written field by
// field, channel streams built with frame and wire), so that it can send
// malformed input on purpose: missing pseudo-headers, bad SETTINGS, truncated
// channel headers, oversized messages, hand-built JWTs (jwt.go: alg none,
// HS256, expired, other profile, other user, replayed). Checks are grouped
// by area: setup.go (R-3-*, H-9220-*, H-9114-*, X-ROB-1…8), version.go,
// auth.go, channels.go, datagrams.go, lifecycle.go and project.go (P-*),
// with reverse forwarding in reverse.go (P-G5-*), agent forwarding in
// agent.go (P-G6-*: the suite serves the SSH agent protocol itself, with
// golang.org/x/crypto/ssh/agent) and the private-request watch in
// private.go (P-N1-3: every message read on a channel the suite opened is
// shown to it, and the check runs after all others).
//
// Every check runs under a time limit, so a silent peer never hangs the
// suite; after every check that could hurt the target a liveness probe (a
// fresh conversation running `true`) tells a crashed or wedged target from
// a failed check ([Check.Liveness]).
//
// Client-under-test mode ([Suite.RunClient]): the suite listens on loopback
// as an SSH3 server it controls (h3server.go) and runs the client under
// test from a command template once per scenario (clientmode.go), then
// checks what the client sent (CONNECT fields, JWT claims and binding,
// channel header bytes, message sizes) and how it ended (exit status,
// connection error code, no crash). Two more templates drive what
// [Config.ClientCmd] cannot: a password login through SSH_ASKPASS
// ([Config.ClientPasswordCmd], clientmode_login.go, against the Basic-only
// server of clientmode_fake.go) and a UDP forward ([Config.ClientUDPCmd],
// clientmode_udp.go).
//
// [ReplayVectors] replays every vector of spec/vectors through the frame
// package: channel headers, messages and channel requests, and datagrams
// must decode to the vector's fields and encode back to the same bytes.
//
// Results are a [Report] of [Check] values, which [Report.WriteText]
// prints in the style of h2spec and which encode as JSON.
// cmd/ssh3-conformance is the command-line front end; it also holds the
// embedded default that starts this project's server in-process.
//
// This package imports frame, wire, auth, spec, quic-go and x/crypto/ssh
// (agent included): it tests the protocol from outside and never imports
// app or cmd.
package conformance
