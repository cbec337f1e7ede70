package conn

import (
	"context"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/frame"
)

// delayRelay forwards UDP between clients and a server, delaying every
// packet by oneWay in each direction.
type delayRelay struct {
	oneWay time.Duration
	front  *net.UDPConn
	server *net.UDPAddr

	mu    sync.Mutex
	backs map[string]*net.UDPConn
	wg    sync.WaitGroup
}

func newDelayRelay(tb testing.TB, server string, oneWay time.Duration) *delayRelay {
	sa, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		tb.Fatal(err)
	}
	front, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	r := &delayRelay{oneWay: oneWay, front: front, server: sa, backs: map[string]*net.UDPConn{}}
	r.wg.Add(1)
	go r.run()
	tb.Cleanup(r.close)
	return r
}

func (r *delayRelay) addr() string { return r.front.LocalAddr().String() }

func (r *delayRelay) run() {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, ca, err := r.front.ReadFromUDP(buf)
		if err != nil {
			return
		}
		back := r.back(ca)
		if back == nil {
			return
		}
		pkt := append([]byte(nil), buf[:n]...)
		time.AfterFunc(r.oneWay, func() { _, _ = back.WriteToUDP(pkt, r.server) })
	}
}

func (r *delayRelay) back(ca *net.UDPAddr) *net.UDPConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.backs[ca.String()]; ok {
		return b
	}
	b, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil
	}
	r.backs[ca.String()] = b
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		buf := make([]byte, 65536)
		for {
			n, _, err := b.ReadFromUDP(buf)
			if err != nil {
				return
			}
			pkt := append([]byte(nil), buf[:n]...)
			time.AfterFunc(r.oneWay, func() { _, _ = r.front.WriteToUDP(pkt, ca) })
		}
	}()
	return b
}

func (r *delayRelay) close() {
	_ = r.front.Close()
	r.mu.Lock()
	for _, b := range r.backs {
		_ = b.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	time.Sleep(2 * r.oneWay) // let pending AfterFuncs fire
}

// BenchmarkSetupRoundTrips measures, through a relay with a 50 ms RTT, the
// time from the start of Dial to the first byte of the server's answer on
// the session channel (the server writes "hello" as soon as it gets the
// channel), in round trips. Target: 2.0–2.2 (§8.7, §9). Run with
// -benchtime=10x; each iteration takes about 100 ms.
func BenchmarkSetupRoundTrips(b *testing.B) {
	const oneWay = 25 * time.Millisecond
	for _, p := range frame.Profiles() {
		b.Run(name(p), func(b *testing.B) {
			h := startServer(b, &Server{})
			relay := newDelayRelay(b, h.addr, oneWay)
			cfg := h.config(p)
			var total time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				start := time.Now()
				c, err := Dial(ctx, relay.addr(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				ch, err := c.OpenChannel(ctx, frame.ChannelSession, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := ch.WriteData([]byte("exec")); err != nil {
					b.Fatal(err)
				}
				m, err := ch.ReadMessage()
				if err != nil {
					b.Fatal(err)
				}
				if d, ok := m.(*frame.Data); !ok || string(d.Data) != "hello" {
					b.Fatalf("first message %v", m)
				}
				total += time.Since(start)
				if testing.Verbose() {
					b.Logf("iteration %d: %v", i, time.Since(start))
				}
				b.StopTimer()
				_ = c.Close()
				cancel()
				b.StartTimer()
			}
			b.ReportMetric(float64(total)/float64(b.N)/float64(2*oneWay), "RTT")
		})
	}
}

// BenchmarkIdleConversationMemory reports the heap and goroutine stacks
// held per idle conversation, both ends counted (client and server run in
// this process, one QUIC connection per conversation, quic-go's own state
// included).
func BenchmarkIdleConversationMemory(b *testing.B) {
	const n = 100
	for _, p := range frame.Profiles() {
		b.Run(name(p), func(b *testing.B) {
			h := startServer(b, &Server{Handler: HandlerFunc(func(c *Conversation) { <-c.Done() })})
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				convs := make([]*Conversation, 0, n)
				for j := 0; j < n; j++ {
					c, err := Dial(context.Background(), h.addr, h.config(p))
					if err != nil {
						b.Fatal(err)
					}
					if err := c.Established(context.Background()); err != nil {
						b.Fatal(err)
					}
					convs = append(convs, c)
				}
				time.Sleep(100 * time.Millisecond) // let handshakes' garbage go
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heapB/conv")
				b.ReportMetric(float64(after.StackInuse-before.StackInuse)/n, "stackB/conv")
				b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
				for _, c := range convs {
					_ = c.Close()
				}
			}
		})
	}
}
