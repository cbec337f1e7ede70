package frame_test

import (
	"fmt"
	"net/netip"

	"github.com/ssh3-project/ssh3/frame"
)

func ExampleParseMessage() {
	// exit-status 255 as the original server sends it (§3.6).
	b := []byte{0x40, 0x62, 0x0b, 'e', 'x', 'i', 't', '-', 's', 't', 'a', 't', 'u', 's', 0x00, 0x40, 0xff}
	m, n, err := frame.ParseMessage(b, frame.Alpha, frame.DefaultMaxMessageSize)
	if err != nil {
		fmt.Println(err)
		return
	}
	st := m.(*frame.ExitStatus)
	fmt.Println(m.Type(), st.Name(), st.Status, n)
	// Output: CHANNEL_REQUEST exit-status 255 17
}

func ExampleChannelHeader_Append() {
	h := frame.ChannelHeader{
		Conversation:   0,
		Type:           frame.ChannelDirectTCP,
		MaxMessageSize: frame.DefaultMaxMessageSize,
		Extra:          &frame.Address{Family: frame.FamilyIPv6, IP: netip.MustParseAddr("::ffff:127.0.0.1"), Port: 8080},
	}
	b, err := h.Append(nil, frame.Alpha)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("% x\n", b)
	// Output: c0 00 00 00 af 36 27 e6 00 0a 64 69 72 65 63 74 2d 74 63 70 80 00 75 30 06 00 00 00 00 00 00 00 00 00 00 ff ff 7f 00 00 01 1f 90
}

func ExampleProfile_AppendDatagram() {
	d := frame.Datagram{Conversation: 4, Channel: 8, Payload: []byte("ping")}
	for _, p := range frame.Profiles() {
		b, err := p.AppendDatagram(nil, d)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: % x\n", p, b)
	}
	// Output:
	// ssh3-alpha: 04 08 70 69 6e 67
	// rth3-00: 02 70 69 6e 67
}
