package frame

import "fmt"

// MsgType is an SSH connection-protocol message number (RFC 4254 §9, kept
// by SSH3; §3.5).
type MsgType uint64

// The message numbers SSH3 uses. Global requests (80–82) do not exist in
// SSH3, and channel numbers are replaced by the channel's stream.
const (
	MsgOpenConfirmation MsgType = 91
	MsgOpenFailure      MsgType = 92
	MsgWindowAdjust     MsgType = 93
	MsgData             MsgType = 94
	MsgExtendedData     MsgType = 95
	MsgEOF              MsgType = 96
	MsgClose            MsgType = 97
	MsgRequest          MsgType = 98
	MsgSuccess          MsgType = 99
	MsgFailure          MsgType = 100
)

var msgNames = map[MsgType]string{
	MsgOpenConfirmation: "CHANNEL_OPEN_CONFIRMATION",
	MsgOpenFailure:      "CHANNEL_OPEN_FAILURE",
	MsgWindowAdjust:     "CHANNEL_WINDOW_ADJUST",
	MsgData:             "CHANNEL_DATA",
	MsgExtendedData:     "CHANNEL_EXTENDED_DATA",
	MsgEOF:              "CHANNEL_EOF",
	MsgClose:            "CHANNEL_CLOSE",
	MsgRequest:          "CHANNEL_REQUEST",
	MsgSuccess:          "CHANNEL_SUCCESS",
	MsgFailure:          "CHANNEL_FAILURE",
}

// String is the RFC 4254 name without the SSH_MSG_ prefix.
func (t MsgType) String() string {
	if s, ok := msgNames[t]; ok {
		return s
	}
	return fmt.Sprintf("UNKNOWN_MESSAGE(%d)", uint64(t))
}

// Known reports whether t is one of the numbers above.
func (t MsgType) Known() bool {
	_, ok := msgNames[t]
	return ok
}

// Reason codes of CHANNEL_OPEN_FAILURE (RFC 4254 §5.1).
const (
	ReasonAdministrativelyProhibited uint64 = 1
	ReasonConnectFailed              uint64 = 2
	ReasonUnknownChannelType         uint64 = 3
	ReasonResourceShortage           uint64 = 4
)

// ExtendedDataStderr is the data type of standard error (RFC 4254 §5.2).
const ExtendedDataStderr uint64 = 1
