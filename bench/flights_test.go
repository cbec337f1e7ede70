package bench

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// ipv4 builds a minimal IPv4 packet with a transport header.
func ipv4(proto byte, sport, dport uint16, l4 []byte) []byte {
	p := make([]byte, 20, 20+len(l4))
	p[0], p[9] = 0x45, proto
	hdr := append([]byte{byte(sport >> 8), byte(sport), byte(dport >> 8), byte(dport)}, l4[4:]...)
	return append(p, hdr...)
}

func tcp(sport, dport uint16, flags byte, payload string) []byte {
	h := make([]byte, 20)
	h[12], h[13] = 5<<4, flags
	return ipv4(6, sport, dport, append(h, payload...))
}

func udp(sport, dport uint16, first byte) []byte {
	return ipv4(17, sport, dport, []byte{0, 0, 0, 0, 0, 0, 0, 0, first, 1, 2, 3})
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		pkt  []byte
		want string
	}{
		{tcp(1, 22, 0x02, ""), "TCP SYN"},
		{tcp(22, 1, 0x12, ""), "TCP SYN-ACK"},
		{tcp(1, 22, 0x10, ""), "TCP ACK"},
		{tcp(1, 22, 0x18, "SSH-2.0-OpenSSH_9.2\r\n"), "SSH banner"},
		{tcp(1, 22, 0x18, "\x00\x00\x01"), "TCP data"},
		{tcp(1, 22, 0x11, ""), "TCP FIN"},
		{tcp(1, 22, 0x04, ""), "TCP RST"},
		{udp(1, 443, 0xc3), "QUIC Initial"},
		{udp(1, 443, 0xd3), "QUIC 0-RTT"},
		{udp(1, 443, 0xe3), "QUIC Handshake"},
		{udp(1, 443, 0x43), "QUIC 1-RTT"},
		{[]byte{0x60, 0, 0}, "other"},
		{nil, "other"},
		{tcp(1, 2, 0, "")[:22], "TCP"},
	} {
		if got := classify(c.pkt); got != c.want {
			t.Errorf("Classify(% x) = %q, want %q", c.pkt, got, c.want)
		}
	}
	if s, d, ok := ports(udp(4242, 443, 0x40)); !ok || s != 4242 || d != 443 {
		t.Errorf("ports = %d %d %v", s, d, ok)
	}
}

func TestFlightsAndOneConnection(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	rec := func(ms int, dir Direction, kind string, port uint16) packetRecord {
		return packetRecord{At: at(ms), Dir: dir, Size: 100, Kind: kind, ClientPort: port}
	}
	recs := []packetRecord{
		rec(-1, ClientToServer, "TCP FIN", 999), // an earlier run's connection
		rec(1, ClientToServer, "TCP FIN", 999),
		rec(2, ClientToServer, "QUIC Initial", 5000),
		rec(2, ClientToServer, "QUIC Initial", 5000),
		rec(52, ServerToClient, "QUIC Handshake", 5000),
		rec(53, ServerToClient, "TCP ACK", 5000),
		rec(102, ClientToServer, "QUIC 1-RTT", 5000),
		rec(140, ClientToServer, "QUIC 1-RTT", 5000), // same direction after a gap
	}
	one := oneConnection(recs, at(0))
	if len(one) != 6 {
		t.Fatalf("OneConnection kept %d records, want 6", len(one))
	}
	fl := Flights(one, at(0), 12*time.Millisecond)
	var got []string
	for _, f := range fl {
		got = append(got, f.Dir.String()+" "+f.Start.String()+" "+strings.Join(f.Kinds, ","))
	}
	want := []string{"c→s 2ms QUIC Initial×2", "s→c 52ms QUIC Handshake×1", "c→s 102ms QUIC 1-RTT×1", "c→s 140ms QUIC 1-RTT×1"}
	if !slices.Equal(got, want) {
		t.Errorf("flights:\n%q\nwant\n%q", got, want)
	}
	if fl[0].Packets != 2 || fl[0].Bytes != 200 {
		t.Errorf("first flight %+v", fl[0])
	}
	if flightGap(0) != 2*time.Millisecond || flightGap(100*time.Millisecond) != 25*time.Millisecond {
		t.Error("flightGap")
	}
}
