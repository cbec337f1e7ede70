package client

import (
	"context"

	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/conn"
)

// jump connects through each jump host in turn (-J a,b): the first
// directly, each next one over a direct-udp path through the previous, and
// sets target to connect the same way through the last (§5.4). The jump
// hosts see only QUIC ciphertext of the next hop. close ends the jump
// conversations; call it after the target's conversation ended.
func jump(ctx context.Context, jumps []*Config, target *Config) (closeAll func(), err error) {
	var convs []*conn.Conversation
	var fcs []*forward.Client
	closeAll = func() {
		for i := len(convs) - 1; i >= 0; i-- {
			_ = fcs[i].Close()
			_ = convs[i].Close()
			fcs[i].Wait()
		}
	}
	var prev *forward.Client
	for i, jc := range append(jumps, target) {
		if prev != nil {
			jc.Through = prev.Through(jc.Target.Host, jc.Target.Port)
		}
		if jc == target {
			break
		}
		if jc.InitialPacketSize == 0 {
			jc.InitialPacketSize = forward.JumpPacketSize(i)
		}
		conv, _, err := Connect(ctx, jc, func(*conn.Conversation) (struct{}, error) { return struct{}{}, nil })
		if err != nil {
			closeAll()
			return nil, err
		}
		prev = &forward.Client{Conv: conv, Logger: jc.Logger}
		convs, fcs = append(convs, conv), append(fcs, prev)
	}
	return closeAll, nil
}
