package conformance

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/spec"
)

// The vector layers the frame package decodes (spec/vectors/README.md).
const (
	LayerChannelHeader  = "channel-header"
	LayerMessage        = "message"
	LayerChannelRequest = "channel-request"
	LayerDatagram       = "datagram"
)

// replayMax is the maximum message size vectors are decoded with: the size
// the original announces (spec/SPEC.md §3.4).
const replayMax = frame.DefaultMaxMessageSize

// FrameLayer reports whether the frame package decodes vectors of layer.
func FrameLayer(layer string) bool {
	switch layer {
	case LayerChannelHeader, LayerMessage, LayerChannelRequest, LayerDatagram:
		return true
	}
	return false
}

// Stimulus returns the bytes a behaviour vector sent to the reference
// (fields.stimulus_hex), and whether it has any.
func Stimulus(v spec.Vector) ([]byte, bool, error) {
	s, ok := v.Fields["stimulus_hex"].(string)
	if !ok {
		return nil, false, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, true, fmt.Errorf("conformance: vector %s: stimulus_hex: %w", v.ID, err)
	}
	return b, true, nil
}

// ReplayVectors replays every vector of files through the frame package, in
// file order; see [ReplayVector].
func ReplayVectors(files []spec.VectorFile) *Report {
	r := &Report{}
	for _, f := range files {
		for _, v := range f.Vectors {
			r.Checks = append(r.Checks, ReplayVector(f, v))
		}
	}
	return r
}

// ReplayVector replays one vector of f through the frame package:
//
//   - hex of a frame layer must decode, in f's profile, to exactly as many
//     bytes as there are, agree with the vector's fields, and encode back to
//     the same bytes;
//   - a behaviour vector's stimulus (bytes the reference was sent) must
//     decode without a panic; what it decoded to, or the error, is recorded
//     as Observed;
//   - any other layer (HTTP, JWT claims, file formats) is NA, and so is a
//     vector of a frame layer with no bytes (an observation).
func ReplayVector(f spec.VectorFile, v spec.Vector) (c Check) {
	c = Check{ID: v.ID, Group: f.Name, Layer: v.Layer}
	if !FrameLayer(v.Layer) {
		c.Result, c.Detail = NA, "n/a (layer not frame's)"
		return c
	}
	p, err := frame.ProfileByName(f.Profile)
	if err != nil {
		return c.fail("", err.Error(), "the vectors file names no known profile")
	}
	defer func() {
		if e := recover(); e != nil {
			c = c.fail("no panic", fmt.Sprintf("panic: %v", e), "decoding panicked")
		}
	}()
	if v.Hex != "" {
		b, err := v.Bytes()
		if err != nil {
			return c.fail("", err.Error(), "bad hex")
		}
		return replayBytes(c, p, v, b)
	}
	b, ok, err := Stimulus(v)
	switch {
	case err != nil:
		return c.fail("", err.Error(), "bad stimulus_hex")
	case !ok:
		c.Result, c.Detail = NA, "n/a (no bytes: an observation only)"
		return c
	}
	c.Result, c.Expected, c.Observed = Pass, "decodes without a panic", decodeStimulus(p, v.Layer, b)
	c.Detail = "stimulus decoded to " + c.Observed
	return c
}

func (c Check) fail(expected, observed, detail string) Check {
	c.Result, c.Expected, c.Observed, c.Detail = Fail, expected, observed, detail
	return c
}

// replayBytes checks that b decodes whole, matches v's fields, and encodes
// back to b.
func replayBytes(c Check, p *frame.Profile, v spec.Vector, b []byte) Check {
	c.Expected = hex.EncodeToString(b)
	var (
		out     []byte
		n       = len(b)
		what    string
		decoded map[string]any
		err     error
	)
	switch v.Layer {
	case LayerChannelHeader:
		var h frame.ChannelHeader
		var hp *frame.Profile
		if h, hp, n, err = frame.ParseChannelHeader(b); err == nil {
			if hp != p {
				return c.fail(c.Expected, "signal of profile "+hp.Name(), "the header is not in the file's profile "+p.Name())
			}
			what, decoded = describeHeader(h), headerFields(h, p)
			out, err = h.Append(nil, p)
			if err == nil && h.Len(p) != len(out) {
				return c.fail(c.Expected, hex.EncodeToString(out), fmt.Sprintf("Len says %d, Append wrote %d bytes", h.Len(p), len(out)))
			}
		}
	case LayerMessage, LayerChannelRequest:
		var m frame.Message
		if m, n, err = frame.ParseMessage(b, p, replayMax); err == nil {
			what, decoded = describeMessage(m), messageFields(m)
			out, err = m.Append(nil, p)
			if err == nil && m.Len(p) != len(out) {
				return c.fail(c.Expected, hex.EncodeToString(out), fmt.Sprintf("Len says %d, Append wrote %d bytes", m.Len(p), len(out)))
			}
		}
	case LayerDatagram:
		var d frame.Datagram
		if d, err = p.ParseDatagram(b); err == nil {
			what, decoded = describeDatagram(d), datagramFields(d, p)
			out, err = p.AppendDatagram(nil, d)
		}
	}
	switch {
	case err != nil:
		return c.fail(c.Expected, "error: "+err.Error(), "does not decode and re-encode")
	case n != len(b):
		return c.fail(c.Expected, hex.EncodeToString(b[:n]), fmt.Sprintf("decoding took %d of %d bytes", n, len(b)))
	}
	if bad := compareFields(v.Fields, decoded); len(bad) > 0 {
		return c.fail(c.Expected, what, "fields differ: "+strings.Join(bad, "; "))
	}
	c.Observed = hex.EncodeToString(out)
	if !bytes.Equal(out, b) {
		return c.fail(c.Expected, c.Observed, what+": re-encoding differs")
	}
	c.Result, c.Detail = Pass, what+", re-encoded byte for byte"
	return c
}

// decodeStimulus decodes bytes sent to the reference the way a receiver
// would: a datagram whole; otherwise a channel header when the bytes start
// with a signal (or the vector is a header's), then messages until the
// bytes end or one does not decode. It describes each step.
func decodeStimulus(p *frame.Profile, layer string, b []byte) string {
	if layer == LayerDatagram {
		d, err := p.ParseDatagram(b)
		if err != nil {
			return "error: " + err.Error()
		}
		return describeDatagram(d)
	}
	var steps []string
	if _, _, err := frame.PeekSignal(b); err == nil || layer == LayerChannelHeader {
		h, hp, n, err := frame.ParseChannelHeader(b)
		if err != nil {
			return "error: " + err.Error()
		}
		steps = append(steps, describeHeader(h))
		if hp != p {
			steps = append(steps, "(signal of profile "+hp.Name()+")")
		}
		b = b[n:]
	}
	for len(b) > 0 {
		m, n, err := frame.ParseMessage(b, p, replayMax)
		if err != nil {
			steps = append(steps, "error: "+err.Error())
			break
		}
		steps = append(steps, describeMessage(m))
		b = b[n:]
	}
	return strings.Join(steps, "; then ")
}

func describeHeader(h frame.ChannelHeader) string {
	s := fmt.Sprintf("%s channel header (conversation %d, max message %d)", h.Type, h.Conversation, h.MaxMessageSize)
	if h.Extra != nil {
		s += " " + strings.TrimPrefix(fmt.Sprintf("%+v", h.Extra), "&")
	}
	return s
}

func describeMessage(m frame.Message) string {
	switch m := m.(type) {
	case *frame.Data:
		return fmt.Sprintf("%s of %d bytes %q", m.Type(), len(m.Data), clip(m.Data))
	case *frame.ExtendedData:
		return fmt.Sprintf("%s type %d of %d bytes %q", m.Type(), m.DataType, len(m.Data), clip(m.Data))
	case frame.Request:
		return fmt.Sprintf("%s %s %+v", m.Type(), m.Name(), deref(m))
	}
	if s := deref(m); s != "{}" {
		return m.Type().String() + " " + s
	}
	return m.Type().String()
}

func describeDatagram(d frame.Datagram) string {
	return fmt.Sprintf("datagram (conversation %d, channel %d) of %d bytes %q", d.Conversation, d.Channel, len(d.Payload), clip(d.Payload))
}

// deref prints the struct a message points to with its field names.
func deref(m frame.Message) string { return strings.TrimPrefix(fmt.Sprintf("%+v", m), "&") }

func clip(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

// headerFields are the decoded values of the vector fields a header has.
func headerFields(h frame.ChannelHeader, p *frame.Profile) map[string]any {
	f := map[string]any{
		"signal":                 fmt.Sprintf("%#x", p.Signal()),
		"conversation_stream_id": h.Conversation,
		"channel_type":           h.Type,
		"max_packet_size":        h.MaxMessageSize,
	}
	if a, ok := h.Extra.(*frame.Address); ok {
		f["address_family"] = a.Family
		f["port"] = uint64(a.Port)
		if a.Family != frame.FamilyName {
			f["address"] = a.IP.String()
		}
	}
	return f
}

// messageFields are the decoded values of the vector fields a message has.
func messageFields(m frame.Message) map[string]any {
	f := map[string]any{"message_type": uint64(m.Type()), "name": m.Type().String()}
	switch m := m.(type) {
	case frame.Request:
		f["request_type"], f["want_reply"] = m.Name(), m.Reply()
	case *frame.Data:
		f["data_len"] = uint64(len(m.Data))
	case *frame.ExtendedData:
		f["data_type"], f["data_len"] = m.DataType, uint64(len(m.Data))
	}
	return f
}

// datagramFields are the decoded values of the vector fields a datagram has.
func datagramFields(d frame.Datagram, p *frame.Profile) map[string]any {
	f := map[string]any{"channel_stream_id": d.Channel, "payload_text": string(d.Payload)}
	if p.DatagramsNameConversation() {
		f["conversation_stream_id"] = d.Conversation
	}
	return f
}

// compareFields lists every key of decoded that the vector's fields give
// with another value. Numbers compare by value and booleans as 0 or 1.
func compareFields(fields, decoded map[string]any) []string {
	var bad []string
	for k, got := range decoded {
		want, ok := fields[k]
		if !ok {
			continue
		}
		if w, g := fieldString(want), fieldString(got); w != g {
			bad = append(bad, fmt.Sprintf("%s: vector %s, decoded %s", k, w, g))
		}
	}
	slices.Sort(bad)
	return bad
}

func fieldString(v any) string {
	switch v := v.(type) {
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case uint64:
		return strconv.FormatUint(v, 10)
	case bool:
		if v {
			return "1"
		}
		return "0"
	case string:
		return strconv.Quote(v)
	}
	return fmt.Sprint(v)
}
