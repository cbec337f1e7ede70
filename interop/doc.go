// Package interop runs this project's ssh3 and ssh3-server against the
// original implementation (francoismichel/ssh3 v0.1.7, the ssh3-alpha wire
// image, spec/SPEC.md §1) as the binaries users run, in both directions, cell
// by cell: exec and exit statuses, stderr apart from stdout, 5 MB of output,
// a 200 kB upload, a pty session, public-key and password login, agent
// forwarding, TCP and UDP forwarding, and proxy jump chains that mix the two
// implementations. Every cell runs several times (SSH3_INTEROP_RUNS, 10 by
// default) so that a race cannot hide, and the original against itself runs
// beside it, so a failure of the peer's own is told from ours.
//
// The package is black-box: it imports nothing of this module, and builds
// cmd/ssh3 and cmd/ssh3-server with the go tool. The original is built from
// ../shared/peers (build-original.sh) into SSH3_PEER_DIR, or into .peer/ at
// the repository root when SSH3_PEER_DIR is unset. The tests need root (the
// servers switch to a throwaway account, ssh3-interop, which they create);
// without the peer's archive or without root they skip and say why.
//
// Its known limits, seen live and recorded in the matrix rather than worked
// around in the product: the original never passes stdin EOF on (so uploads
// end by count), writes "\r" to stdout as its client exits (client.go:586),
// and needs a running session to keep forwarding.
package interop
