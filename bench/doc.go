// Package bench measures this project's SSH3 client and server beside
// OpenSSH and other implementations: session setup under emulated round-trip
// times, bulk throughput with CPU cost, memory per idle conversation, keystroke
// latency, and the wire and frame microbenchmarks.
//
// Round trips are emulated between two network namespaces that the bench
// creates and removes itself ([newNet]). Each holds one TUN device; the bench
// process reads every IP packet from one and writes it to the other after
// half the round-trip time ([Relay]), so TCP's and QUIC's handshakes stay
// real. The relay sees every packet anyway, so it also records when each one
// went in which direction, which gives the per-flight breakdown
// ([Flights]). Without root or network namespaces the bench falls back to
// loopback with no added delay and says so.
//
// The command is cmd/ssh3-bench; bench/RESULTS.md holds the latest figures
// and the commands that regenerate them. Protocol notes §8.7–§9 give the
// round-trip counts these measurements check.
package bench
