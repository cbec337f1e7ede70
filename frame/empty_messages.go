package frame

// EOF is CHANNEL_EOF (96). This project signals EOF with a FIN on the
// stream and accepts 96 as the same thing; it is never sent, and a
// ssh3-alpha reference peer crashes on it (§3.5, G11).
type EOF struct{}

// Close is CHANNEL_CLOSE (97), accepted as "close both directions" and never
// sent (§3.5).
type Close struct{}

// Success is CHANNEL_SUCCESS (99), the answer to a request with want-reply
// (G11). Never send it to a ssh3-alpha peer without CapReply.
type Success struct{}

// Failure is CHANNEL_FAILURE (100), the refusal of a request with
// want-reply (G11). Never send it to a ssh3-alpha peer without CapReply.
type Failure struct{}

func (*EOF) Type() MsgType     { return MsgEOF }
func (*Close) Type() MsgType   { return MsgClose }
func (*Success) Type() MsgType { return MsgSuccess }
func (*Failure) Type() MsgType { return MsgFailure }

func (*EOF) Len(*Profile) int     { return typeLen(MsgEOF) }
func (*Close) Len(*Profile) int   { return typeLen(MsgClose) }
func (*Success) Len(*Profile) int { return typeLen(MsgSuccess) }
func (*Failure) Len(*Profile) int { return typeLen(MsgFailure) }

func (*EOF) Append(b []byte, _ *Profile) ([]byte, error)     { return appendType(b, MsgEOF), nil }
func (*Close) Append(b []byte, _ *Profile) ([]byte, error)   { return appendType(b, MsgClose), nil }
func (*Success) Append(b []byte, _ *Profile) ([]byte, error) { return appendType(b, MsgSuccess), nil }
func (*Failure) Append(b []byte, _ *Profile) ([]byte, error) { return appendType(b, MsgFailure), nil }
