package frame_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/spec"
)

// Interop as data (style practice 16): every vector of every embedded file
// (the captures of the original, and this project's rth3-00 vectors) is
// decoded and re-encoded byte for byte, and the decoded values are checked
// against the vector's fields.

// notFrames are the layers other packages own.
var notFrames = map[string]string{
	"http-request":  "HTTP/3 requests belong to the conversation layer (conn), not to frame",
	"http-response": "HTTP/3 responses belong to the conversation layer (conn), not to frame",
	"jwt-claims":    "JWT claims belong to auth, not to frame",
	"file-format":   "known_hosts / authorized_identities lines belong to auth, not to frame",
}

// streamKeys are the fields of behaviour vectors that hold bytes of a
// channel stream (or of a datagram, in the datagram layer).
var streamKeys = []string{
	"stimulus_hex", "full_channel_bytes_sent", "reference_reply_on_channel_hex", "also_ignored",
	"server_channel_bytes_before_crash", "valid_datagram_sent_hex", "reply_to_the_valid_datagram_hex",
}

func TestVectors(t *testing.T) {
	files, err := spec.VectorFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Errorf("%d vector files embedded, want the alpha captures and rth3-00.json", len(files))
	}
	for _, f := range files {
		p, err := frame.ProfileByName(f.Profile)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		t.Run(f.Name, func(t *testing.T) {
			if len(f.Vectors) == 0 {
				t.Fatal("no vectors")
			}
			for _, v := range f.Vectors {
				t.Run(v.ID, func(t *testing.T) { checkVector(t, p, v) })
			}
		})
	}
}

func checkVector(t *testing.T, p *frame.Profile, v spec.Vector) {
	if reason, ok := notFrames[v.Layer]; ok {
		t.Skipf("layer %s: %s", v.Layer, reason)
	}
	if v.Hex != "" {
		b, err := v.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		noPanic(t, "decode", func() { got = decodeVector(t, p, v.Layer, b) })
		if got == nil {
			return
		}
		if n := compareFields(t, v.Fields, got); n == 0 && len(v.Fields) > 0 {
			t.Errorf("none of the fields %v could be checked", keys(v.Fields))
		}
	}
	checked := false
	for _, k := range streamKeys {
		s, ok := v.Fields[k].(string)
		if !ok {
			continue
		}
		checked = true
		if f := strings.Fields(s); len(f) > 0 {
			s = f[0] // also_ignored: "<hex> when ..."
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		noPanic(t, k, func() {
			out, fields, err := decodeStream(p, v.Layer, b)
			t.Logf("%s decodes to %s (err %v)", k, strings.Join(out, " | "), err)
			switch {
			case strings.Contains(v.ID, "bad-signal") && k == "stimulus_hex":
				if !errors.Is(err, frame.ErrNotChannel) {
					t.Errorf("%s: err = %v, want ErrNotChannel", k, err)
				}
			case err != nil:
				t.Errorf("%s: %v", k, err)
			}
			if d, ok := v.Fields["decoded"].(map[string]any); ok && k == "stimulus_hex" {
				if len(fields) != 1 {
					t.Fatalf("decoded: %d messages in the stimulus", len(fields))
				}
				if n := compareFields(t, d, fields[0]); n != len(d) {
					t.Errorf("decoded: checked %d of %d fields", n, len(d))
				}
			}
		})
	}
	if v.Hex == "" && !checked {
		t.Logf("observation only (%s): nothing for frame to decode", v.Behaviour)
	}
}

// decodeVector decodes the exact bytes of one vector, checks that the
// encoder gives them back, and returns the decoded values as vector fields.
func decodeVector(t *testing.T, p *frame.Profile, layer string, b []byte) map[string]any {
	t.Helper()
	switch layer {
	case "channel-header":
		h, hp, n, err := frame.ParseChannelHeader(b)
		if err != nil {
			t.Fatalf("ParseChannelHeader: %v", err)
		}
		if hp != p || n != len(b) {
			t.Errorf("profile %v, %d of %d bytes", hp, n, len(b))
		}
		enc, err := h.Append(nil, hp)
		if err != nil || !bytes.Equal(enc, b) || h.Len(hp) != len(b) {
			t.Errorf("re-encoded: % x, %v (Len %d)", enc, err, h.Len(hp))
		}
		return headerFields(h, hp)
	case "message", "channel-request":
		m, n, err := frame.ParseMessage(b, p, frame.DefaultMaxMessageSize)
		if err != nil {
			t.Fatalf("ParseMessage: %v", err)
		}
		if n != len(b) {
			t.Errorf("took %d of %d bytes", n, len(b))
		}
		if _, isReq := m.(frame.Request); isReq != (layer == "channel-request") {
			t.Errorf("%T in layer %s", m, layer)
		}
		enc, err := frame.AppendMessage(nil, m, p, frame.DefaultMaxMessageSize)
		if err != nil || !bytes.Equal(enc, b) || m.Len(p) != len(b) {
			t.Errorf("re-encoded: % x, %v (Len %d)", enc, err, m.Len(p))
		}
		return messageFields(m, p)
	case "datagram":
		d, err := p.ParseDatagram(b)
		if err != nil {
			t.Fatalf("ParseDatagram: %v", err)
		}
		enc, err := p.AppendDatagram(nil, d)
		if err != nil || !bytes.Equal(enc, b) {
			t.Errorf("re-encoded: % x, %v", enc, err)
		}
		return datagramFields(d, p)
	}
	t.Errorf("layer %q: unknown to frame", layer)
	return nil
}

// decodeStream decodes the bytes of a behaviour vector: a datagram, or a
// channel stream (a header if it starts with a varint of 8 bytes, then
// messages). It describes each item and returns the fields of each message.
func decodeStream(p *frame.Profile, layer string, b []byte) ([]string, []map[string]any, error) {
	if layer == "datagram" {
		d, err := p.ParseDatagram(b)
		if err != nil {
			return nil, nil, err
		}
		return []string{fmt.Sprintf("datagram conv %d channel %d %q", d.Conversation, d.Channel, d.Payload)},
			[]map[string]any{datagramFields(d, p)}, nil
	}
	var out []string
	var fields []map[string]any
	if len(b) > 0 && b[0]>>6 == 3 {
		h, hp, n, err := frame.ParseChannelHeader(b)
		if err != nil {
			return out, fields, err
		}
		out = append(out, fmt.Sprintf("header %v %+v", hp, h))
		if enc, err := h.Append(nil, hp); err != nil || !bytes.Equal(enc, b[:n]) {
			return out, fields, fmt.Errorf("header re-encodes to % x, %v", enc, err)
		}
		p, b = hp, b[n:]
	}
	for len(b) > 0 {
		m, n, err := frame.ParseMessage(b, p, frame.DefaultMaxMessageSize)
		if err != nil {
			return out, fields, err
		}
		out = append(out, fmt.Sprintf("%T%+v", m, m))
		fields = append(fields, messageFields(m, p))
		if enc, err := m.Append(nil, p); err != nil || !bytes.Equal(enc, b[:n]) {
			return out, fields, fmt.Errorf("%T re-encodes to % x, %v", m, enc, err)
		}
		b = b[n:]
	}
	return out, fields, nil
}

// compareFields checks every field of want that got knows, and returns how
// many it checked.
func compareFields(t *testing.T, want, got map[string]any) int {
	t.Helper()
	n := 0
	for _, k := range keys(want) {
		g, ok := got[k]
		if !ok {
			continue
		}
		n++
		if !sameValue(want[k], g) {
			t.Errorf("field %s = %v (%T), decoded %v (%T)", k, want[k], want[k], g, g)
		}
	}
	return n
}

// sameValue compares a JSON value with a decoded one: numbers as float64
// (JSON has no integers), booleans as 0/1.
func sameValue(want, got any) bool {
	num := func(v any) (float64, bool) {
		switch x := v.(type) {
		case float64:
			return x, true
		case int:
			return float64(x), true
		case uint64:
			return float64(x), true
		case uint16:
			return float64(x), true
		case bool:
			if x {
				return 1, true
			}
			return 0, true
		}
		return math.NaN(), false
	}
	if w, ok := num(want); ok {
		g, ok := num(got)
		return ok && w == g
	}
	return fmt.Sprint(want) == fmt.Sprint(got)
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// headerFields describes a channel header with the field names of the
// vector files.
func headerFields(h frame.ChannelHeader, p *frame.Profile) map[string]any {
	f := map[string]any{
		"signal":                 fmt.Sprintf("0x%x", p.Signal()),
		"signal_varint_len":      8,
		"conversation_stream_id": h.Conversation,
		"channel_type":           h.Type,
		"max_packet_size":        h.MaxMessageSize,
		"max_message_size":       h.MaxMessageSize,
	}
	switch e := h.Extra.(type) {
	case *frame.Address:
		addressFields(f, "", *e)
	case *frame.ReverseListen:
		f["role"] = uint64(frame.RoleListen)
		addressFields(f, "bind_", e.Bind)
	case *frame.ReverseAccept:
		f["role"] = uint64(frame.RoleAccept)
		f["listener_stream_id"] = e.Listener
		f["connection"] = e.Connection
	case *frame.AgentAccept:
		f["session_stream_id"] = e.Session
		f["connection"] = e.Connection
	}
	return f
}

func addressFields(f map[string]any, prefix string, a frame.Address) {
	f[prefix+"address_family"] = a.Family
	f[prefix+"port"] = a.Port
	switch a.Family {
	case frame.FamilyName:
		f[prefix+"host_name"] = a.Host
	default:
		f[prefix+"address_hex"] = hex.EncodeToString(a.IP.AsSlice())
		f[prefix+"address"] = a.IP.String()
		if a.IP.Is4In6() {
			f[prefix+"address_ipv4_mapped"] = a.IP.Unmap().String()
		}
	}
}

// messageFields describes a message with the field names of the vector
// files.
func messageFields(m frame.Message, p *frame.Profile) map[string]any {
	f := map[string]any{"message_type": uint64(m.Type()), "name": m.Type().String()}
	data := func(b []byte) {
		f["data_len"] = len(b)
		f["data_hex"] = hex.EncodeToString(b)
		if utf8.Valid(b) {
			f["data_text"] = string(b)
		}
	}
	switch m := m.(type) {
	case *frame.OpenConfirmation:
		f["max_packet_size"] = m.MaxMessageSize
		f["max_message_size"] = m.MaxMessageSize
		if p.Name() == "rth3-00" {
			f["initial_window"] = m.InitialWindow
		}
	case *frame.OpenFailure:
		f["reason_code"] = m.Reason
		f["message"] = m.Description
		f["language_tag"] = m.Language
	case *frame.WindowAdjust:
		f["bytes_to_add"] = m.Bytes
	case *frame.Data:
		data(m.Data)
	case *frame.ExtendedData:
		f["data_type"] = m.DataType
		data(m.Data)
	case *frame.UnknownMessage:
		f["name"] = "unknown"
	case frame.Request:
		f["request_type"] = m.Name()
		f["want_reply"] = b01(m.Reply())
		requestFields(f, m)
	}
	return f
}

func requestFields(f map[string]any, m frame.Request) {
	switch m := m.(type) {
	case *frame.PtyReq:
		f["term"] = m.Term
		f["char_width_cols"] = m.Columns
		f["char_height_rows"] = m.Rows
		f["pixel_width"] = m.WidthPx
		f["pixel_height"] = m.HeightPx
		f["encoded_terminal_modes_hex"] = hex.EncodeToString(m.Modes)
		f["encoded_terminal_modes_len"] = len(m.Modes)
	case *frame.X11Req:
		f["single_connection"] = b01(m.SingleConnection)
		f["auth_protocol"] = m.AuthProtocol
		f["auth_cookie"] = m.AuthCookie
		f["screen"] = m.Screen
	case *frame.Exec:
		f["command"] = m.Command
	case *frame.Subsystem:
		f["subsystem"] = m.Subsystem
	case *frame.Env:
		f["variable_name"] = m.Variable
		f["variable_value"] = m.Value
	case *frame.WindowChange:
		f["char_width_cols"] = m.Columns
		f["char_height_rows"] = m.Rows
		f["pixel_width"] = m.WidthPx
		f["pixel_height"] = m.HeightPx
	case *frame.XonXoff:
		f["client_can_do"] = b01(m.ClientCanDo)
	case *frame.Signal:
		f["signal_name"] = m.Signal
	case *frame.ExitStatus:
		f["exit_status"] = m.Status
		f["exit_status_varint_len"] = varintLen(m.Status)
	case *frame.ExitSignal:
		f["signal_name"] = m.Signal
		f["core_dumped"] = b01(m.CoreDumped)
		f["error_message"] = m.ErrorMessage
		f["language_tag"] = m.Language
	case *frame.AgentIncoming:
		f["connection"] = m.Connection
	case *frame.ReverseBound:
		f["port"] = m.Port
	case *frame.ReverseIncoming:
		f["connection"] = m.Connection
		addressFields(f, "originator_", m.Originator)
	}
}

func varintLen(v uint64) int {
	switch {
	case v < 1<<6:
		return 1
	case v < 1<<14:
		return 2
	case v < 1<<30:
		return 4
	}
	return 8
}

// datagramFields describes a datagram with the field names of the vector
// files.
func datagramFields(d frame.Datagram, p *frame.Profile) map[string]any {
	f := map[string]any{
		"channel_stream_id": d.Channel,
		"prefix_len":        p.DatagramOverhead(d.Conversation, d.Channel),
		"payload_hex":       hex.EncodeToString(d.Payload),
	}
	if p.DatagramsNameConversation() {
		f["conversation_stream_id"] = d.Conversation
	} else {
		f["quarter_stream_id"] = d.Channel / 4
	}
	if utf8.Valid(d.Payload) {
		f["payload_text"] = string(d.Payload)
	}
	return f
}

// b01 writes a boolean the way the vector files do: 1 or 0.
func b01(v bool) int {
	if v {
		return 1
	}
	return 0
}
