// Package h3 holds what conn does in HTTP/3's place (spec/SPEC.md §2.2,
// §8.7): it reads the peer's control stream itself (Option A of gap G7, so
// that one datagram reader can route both datagram layouts), with the
// duties http3 would have had (one control stream, SETTINGS first, RFC 9114
// and RFC 9297 setting rules, GOAWAY), and it peeks a request's QPACK
// pseudo-headers before http3 gets the stream, to answer 400 to a :scheme
// other than https (X-ROB-3), with github.com/quic-go/qpack. These are the
// places a quic-go upgrade may touch; nothing here knows SSH3's messages.
package h3
