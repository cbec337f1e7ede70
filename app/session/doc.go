// Package session is the session channel (spec/SPEC.md §3.6: pty-req,
// shell, exec, subsystem, env, window-change, signal, exit-status,
// exit-signal; stdin EOF G11) as its client runs it, with what both sides
// share.
//
// The client's side: [StartClient] sends the setup requests right behind the
// channel header, relays stdin (cut at each send to what the peer takes,
// §3.4), stdout and stderr, window sizes and the ~ escapes of OpenSSH, and
// [ClientSession.Wait] returns how the remote command ended ([Exit]). Toward
// a ssh3-alpha peer that did not announce half-close, stdin's EOF is held
// back: the reference takes a FIN on a session channel for an abort (§6.1).
// [ModesOf] encodes the local terminal's modes for pty-req (RFC 4254 §8) on
// Linux, macOS and FreeBSD; elsewhere no modes are sent and the server's
// defaults apply.
//
// Shared by both sides: the [Channel] a session runs on, the [Writer] that
// keeps every message within what the peer may be sent (§6.1, §6.3),
// [PtySpec], and [ApplyModes] (Linux), which a server applies to its pty.
//
// The server's side (accounts, processes, ptys) is package app/host; it is
// never linked into the client.
package session
