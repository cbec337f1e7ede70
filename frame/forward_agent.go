package frame

import "bytes"

// ForwardAgentPayload is the ssh3-alpha agent-forwarding convention: not a
// request but a CHANNEL_DATA on the session channel, before shell or exec,
// whose payload is these 13 bytes (§3.6, §5.3).
const ForwardAgentPayload = "forward-agent"

// ForwardAgent is the message that asks a ssh3-alpha server for agent
// forwarding.
func ForwardAgent() *Data { return &Data{Data: []byte(ForwardAgentPayload)} }

// IsForwardAgent reports whether m is that message.
func IsForwardAgent(m Message) bool {
	d, ok := m.(*Data)
	return ok && bytes.Equal(d.Data, []byte(ForwardAgentPayload))
}
