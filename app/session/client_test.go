package session

import (
	"io"
	"log/slog"
	"testing"

	"github.com/ssh3-project/ssh3/frame"
)

// finRecorder is a channel that only records whether it was FINed.
type finRecorder struct {
	peer frame.Peer
	fin  bool
}

func (f *finRecorder) ReadMessage() (frame.Message, error) { return nil, io.EOF }
func (f *finRecorder) WriteMessage(frame.Message) error    { return nil }
func (f *finRecorder) WriteData(p []byte) (int, error)     { return len(p), nil }
func (f *finRecorder) WriteExtendedData(_ uint64, p []byte) (int, error) {
	return len(p), nil
}
func (f *finRecorder) CloseWrite() error          { f.fin = true; return nil }
func (f *finRecorder) Peer() frame.Peer           { return f.peer }
func (f *finRecorder) PeerMaxMessageSize() uint64 { return frame.DefaultMaxMessageSize }

// TestClientHoldsBackEOFFromReferencePeer: stdin's EOF is a FIN only toward
// a peer that announced half-close; a ssh3-alpha reference server takes a
// FIN for an abort (§6.1).
func TestClientHoldsBackEOFFromReferencePeer(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		caps frame.Caps
		fin  bool
	}{{0, false}, {frame.CapEOF, true}} {
		c := &finRecorder{peer: frame.NewPeer(frame.Alpha, tc.caps)}
		closeInput(NewWriter(c), c, log)
		if c.fin != tc.fin {
			t.Errorf("caps %v: FIN %v, want %v", tc.caps, c.fin, tc.fin)
		}
	}
}
