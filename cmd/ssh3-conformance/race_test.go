//go:build race

package main

// raceEnabled: quic-go v0.65.0 itself trips the race detector when a
// connection opens streams in 0-RTT (handleTransportParameters against
// OpenStream), which the suite's X-ROB-4 check does. The whole suite runs
// without -race in `make demo`; under -race TestEmbeddedDefault is skipped.
const raceEnabled = true
