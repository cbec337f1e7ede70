package bench

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// packetIO is one end of the relay: a TUN device, or a fake in tests.
// ReadPacket blocks for the next packet; both fail once the end is closed.
type packetIO interface {
	ReadPacket(b []byte) (int, error)
	WritePacket(b []byte) error
}

// Direction tells which way a packet went.
type Direction int

// Directions, from the client's namespace to the server's and back.
const (
	ClientToServer Direction = iota
	ServerToClient
)

func (d Direction) String() string {
	if d == ClientToServer {
		return "c→s"
	}
	return "s→c"
}

// queueCap bounds the packets in flight per direction; beyond it packets are
// dropped, as a router's full queue would.
const queueCap = 4096

// Relay copies packets between the client's and the server's TUN devices,
// each released RTT/2 after it was read, in the order read. The delay can
// change between runs; a packet keeps the delay it was read with.
type Relay struct {
	clock   Clock
	oneWay  atomic.Int64 // nanoseconds
	dropped atomic.Int64

	mu      sync.Mutex // guards capture
	capture *[]packetRecord

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// packetRecord is one packet as the relay read it.
type packetRecord struct {
	At   time.Time
	Dir  Direction
	Size int
	Kind string // see classify
	// ClientPort is the client's TCP or UDP port, 0 for other packets.
	ClientPort uint16
}

type delayed struct {
	due time.Time
	pkt []byte
}

// newRelay starts relaying between client and server; clock nil is the
// wall clock. Close stops it.
func newRelay(client, server packetIO, clock Clock) *Relay {
	if clock == nil {
		clock = realClock{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Relay{clock: clock, cancel: cancel}
	r.pipe(ctx, client, server, ClientToServer)
	r.pipe(ctx, server, client, ServerToClient)
	return r
}

// SetRTT sets the emulated round-trip time for packets read from now on.
func (r *Relay) SetRTT(rtt time.Duration) { r.oneWay.Store(int64(rtt / 2)) }

// RTT is the emulated round-trip time.
func (r *Relay) RTT() time.Duration { return 2 * time.Duration(r.oneWay.Load()) }

// Dropped counts packets dropped because a direction's queue was full.
func (r *Relay) Dropped() int64 { return r.dropped.Load() }

// StartCapture records every packet read from now until StopCapture.
func (r *Relay) StartCapture() {
	r.mu.Lock()
	defer r.mu.Unlock()
	recs := make([]packetRecord, 0, 256)
	r.capture = &recs
}

// StopCapture ends the capture and returns what it recorded.
func (r *Relay) StopCapture() []packetRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.capture == nil {
		return nil
	}
	recs := *r.capture
	r.capture = nil
	return recs
}

func (r *Relay) record(at time.Time, dir Direction, pkt []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.capture != nil && len(*r.capture) < 1<<20 {
		rec := packetRecord{At: at, Dir: dir, Size: len(pkt), Kind: classify(pkt)}
		if src, dst, ok := ports(pkt); ok {
			rec.ClientPort = src
			if dir == ServerToClient {
				rec.ClientPort = dst
			}
		}
		*r.capture = append(*r.capture, rec)
	}
}

// pipe starts a reader that stamps each packet with its due time and a
// writer that releases it then; the queue between them is capped.
func (r *Relay) pipe(ctx context.Context, from, to packetIO, dir Direction) {
	q := make(chan delayed, queueCap)
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		defer close(q)
		buf := make([]byte, 65536)
		for {
			n, err := from.ReadPacket(buf)
			if err != nil {
				return
			}
			now := r.clock.Now()
			pkt := bytes.Clone(buf[:n])
			r.record(now, dir, pkt)
			select {
			case q <- delayed{due: now.Add(time.Duration(r.oneWay.Load())), pkt: pkt}:
			default:
				r.dropped.Add(1)
			}
		}
	}()
	go func() {
		defer r.wg.Done()
		for p := range q {
			if ctx.Err() != nil {
				continue // drain, without waiting, until the reader stops
			}
			if d := p.due.Sub(r.clock.Now()); d > 0 {
				r.clock.Sleep(d)
			}
			_ = to.WritePacket(p.pkt)
		}
	}()
}

// Close stops the relay once both ends' reads have failed: close the
// PacketIOs first (or together), then Close waits for the goroutines.
func (r *Relay) Close() error {
	r.cancel()
	r.wg.Wait()
	return nil
}
