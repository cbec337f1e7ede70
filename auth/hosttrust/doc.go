// Package hosttrust decides, on the client, whether the server's TLS
// certificate is trusted (protocol notes §4.6).
//
// Order of decisions in [Config.VerifyConnection]:
//
//  1. Insecure: accept anything (an explicit user choice).
//  2. The host has lines in ~/.ssh3/known_hosts: the leaf certificate must be
//     byte-for-byte one of them (pinning the exact certificate, not matching
//     names). Anything else is a [*MismatchError] naming the file and line.
//  3. Otherwise the chain is verified against the system roots (or
//     [Config.Roots]) for the host name.
//  4. If that fails and the leaf is self-signed, the user is asked through
//     [Config.Prompt] with the fingerprint `SHA256 <base64 of SHA-256(DER)>`
//     (trust on first use); on yes the line is appended. Otherwise the error
//     is an [*UnknownHostError].
//
// known_hosts uses the reference implementation's format, one certificate per
// line: `<host>:<port><urlpath> x509-certificate <standard base64 of DER>`,
// the host unbracketed even for IPv6 ([HostKey], [AppendLine], [ParseLine]).
// A host may have several lines. A line that does not parse is skipped with a
// warning naming its 0-based index.
//
// The selfsigned.ssh3 SNI quirk: when a pinned certificate covers the DNS
// name selfsigned.ssh3, the reference client sends SNI "selfsigned.ssh3" and
// checks names against it. This package pins exact certificates, so our
// client can send the real host name as SNI ([Config.TLSConfig] does); our
// server must still serve its certificate for SNI selfsigned.ssh3 and for
// unknown or missing SNI, for reference clients.
//
// Only crypto/tls and crypto/x509 are used; the hook works for any TLS
// transport, QUIC included.
package hosttrust
