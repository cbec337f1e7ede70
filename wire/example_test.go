package wire_test

import (
	"fmt"

	"github.com/ssh3-project/ssh3/wire"
)

func ExampleAppendVarint() {
	var b []byte
	b = wire.AppendVarint(b, 94)    // SSH_MSG_CHANNEL_DATA
	b = wire.AppendVarint(b, 30000) // the reference's maximum message size
	fmt.Printf("% x\n", b)

	// The ssh3-alpha channel signal, written on 8 bytes.
	fmt.Printf("% x\n", wire.AppendVarintLen(nil, 0xaf3627e6, 8))
	// Output:
	// 40 5e 80 00 75 30
	// c0 00 00 00 af 36 27 e6
}

func ExampleParseVarint() {
	v, n, err := wire.ParseVarint([]byte{0x9d, 0x7f, 0x3e, 0x7d, 0xff})
	fmt.Println(v, n, err)

	// A non-minimal encoding is accepted; ParseVarintLen says so.
	v, n, minimal, err := wire.ParseVarintLen([]byte{0x40, 0x25})
	fmt.Println(v, n, minimal, err)

	// Input that ends inside a value.
	_, _, err = wire.ParseVarint([]byte{0xc0, 0x00})
	fmt.Println(err)
	// Output:
	// 494878333 4 <nil>
	// 37 2 false <nil>
	// wire: truncated input: unexpected EOF
}

func ExampleParseBytes() {
	in := []byte{0x07, 's', 'e', 's', 's', 'i', 'o', 'n', 0x80, 0x00, 0x75, 0x30}
	channelType, n, err := wire.ParseBytes(in, 64)
	fmt.Printf("%s %d %v\n", channelType, n, err)

	_, _, err = wire.ParseBytes(in, 4)
	fmt.Println(err)
	// Output:
	// session 8 <nil>
	// wire: length 7 exceeds the maximum of 4
}
