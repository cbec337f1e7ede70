package frame

import "github.com/ssh3-project/ssh3/wire"

// Request is a CHANNEL_REQUEST (98): the request name, want-reply, and the
// fields of that request type (§3.6). Each request type is a type of its
// own; names this package does not know decode to *UnknownRequest.
type Request interface {
	Message
	// Name is the request type string, e.g. "exec".
	Name() string
	// Reply reports the want-reply flag.
	Reply() bool
}

// requestBody is implemented by every known request: its fields after
// want-reply.
type requestBody interface {
	Request
	appendFields(b []byte) []byte
	fieldsLen() int
	varints() []uint64 // the integer fields, checked before encoding
}

// utf8Fields is implemented by requests with fields the decoder requires to
// be UTF-8; Append refuses anything else.
type utf8Fields interface{ utf8Fields() []string }

// requestParsers maps a request name to the decoder of its fields.
var requestParsers = map[string]func(d *decoder, want bool) Request{}

// register adds a request type; every request file calls it from init, so
// adding a request is one file.
func register(name string, parse func(d *decoder, want bool) Request) {
	if _, dup := requestParsers[name]; dup {
		panic("frame: request " + name + " registered twice")
	}
	requestParsers[name] = parse
}

// KnownRequest reports whether this package decodes request name.
func KnownRequest(name string) bool {
	_, ok := requestParsers[name]
	return ok
}

func parseRequest(d *decoder, _ *Profile) Message {
	name := d.utf8("request type")
	want := d.bool("want reply")
	if d.err != nil {
		return nil
	}
	parse, ok := requestParsers[name]
	if !ok {
		return &UnknownRequest{RequestName: name, WantReply: want}
	}
	d.what = name
	return parse(d, want)
}

func requestLen(r requestBody) int {
	return typeLen(MsgRequest) + strLen(len(r.Name())) + wire.BoolLen + r.fieldsLen()
}

func appendRequest(b []byte, r requestBody) ([]byte, error) {
	if err := checkVarints(r.Name(), r.varints()...); err != nil {
		return b, err
	}
	if t, ok := r.(utf8Fields); ok {
		if err := checkUTF8(r.Name(), t.utf8Fields()...); err != nil {
			return b, err
		}
	}
	b = appendType(b, MsgRequest)
	b = wire.AppendString(b, r.Name())
	b = wire.AppendBool(b, r.Reply())
	return r.appendFields(b), nil
}

// UnknownRequest is a request name this package does not know. Its fields,
// if it has any, cannot be located (messages carry no length), so the
// decoder takes the name and want-reply only; a sender of private requests
// must give them no fields unless the peer announced CapPrivate (gap N1).
// The receiver answers CHANNEL_FAILURE when want-reply is set and the peer
// accepts replies, and the session goes on (X-ROB-24).
type UnknownRequest struct {
	RequestName string
	WantReply   bool
}

func (r *UnknownRequest) Type() MsgType { return MsgRequest }
func (r *UnknownRequest) Name() string  { return r.RequestName }
func (r *UnknownRequest) Reply() bool   { return r.WantReply }

func (r *UnknownRequest) Len(*Profile) int {
	return typeLen(MsgRequest) + strLen(len(r.RequestName)) + wire.BoolLen
}

// Append refuses a name this package knows (the fields would be missing)
// and a name that is not UTF-8.
func (r *UnknownRequest) Append(b []byte, _ *Profile) ([]byte, error) {
	if KnownRequest(r.RequestName) {
		return b, &ValueError{What: "unknown request", Reason: r.RequestName + " is a known request: use its type"}
	}
	if err := checkUTF8("unknown request", r.RequestName); err != nil {
		return b, err
	}
	b = appendType(b, MsgRequest)
	b = wire.AppendString(b, r.RequestName)
	return wire.AppendBool(b, r.WantReply), nil
}
