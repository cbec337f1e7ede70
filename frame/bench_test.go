package frame_test

import (
	"bytes"
	"testing"

	"github.com/ssh3-project/ssh3/frame"
)

func BenchmarkAppendMessage(b *testing.B) {
	for _, c := range []struct {
		name string
		m    frame.Message
	}{
		{"Data1KiB", &frame.Data{Data: make([]byte, 1024)}},
		{"Exec", &frame.Exec{WantReply: true, Command: "echo hello"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 2048)
			b.ReportAllocs()
			b.SetBytes(int64(c.m.Len(frame.Alpha)))
			for b.Loop() {
				var err error
				if buf, err = frame.AppendMessage(buf[:0], c.m, frame.Alpha, frame.DefaultMaxMessageSize); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseMessage(b *testing.B) {
	data, _ := (&frame.Data{Data: make([]byte, 1024)}).Append(nil, frame.Alpha)
	pty := wireBytes(`4062077074792d726571010e787465726d2d323536636f6c6f7240641e000000`)
	for _, c := range []struct {
		name string
		in   []byte
	}{{"Data1KiB", data}, {"PtyReq", pty}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.in)))
			for b.Loop() {
				if _, _, err := frame.ParseMessage(c.in, frame.Alpha, frame.DefaultMaxMessageSize); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseChannelHeader(b *testing.B) {
	in := wireBytes(sigAlpha + ` 00 0a "direct-tcp" 80 00 75 30 06 00 00 00 00 00 00 00 00 00 00 ff ff 7f 00 00 01 1f 90`)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, _, _, err := frame.ParseChannelHeader(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDatagram(b *testing.B) {
	for _, p := range frame.Profiles() {
		in, _ := p.AppendDatagram(nil, frame.Datagram{Conversation: 0, Channel: 8, Payload: make([]byte, 1200)})
		b.Run(p.Name(), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := p.ParseDatagram(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReaderData reads a stream of 1 KiB CHANNEL_DATA messages.
func BenchmarkReaderData(b *testing.B) {
	const count = 1024
	var stream []byte
	for range count {
		stream, _ = (&frame.Data{Data: make([]byte, 1024)}).Append(stream, frame.Alpha)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	rd := bytes.NewReader(stream)
	for b.Loop() {
		rd.Reset(stream)
		r := frame.NewReader(rd, frame.Alpha, frame.DefaultMaxMessageSize)
		for range count {
			if _, err := r.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
