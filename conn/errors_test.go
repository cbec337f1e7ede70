package conn

import (
	"errors"
	"testing"
)

func TestErrors(t *testing.T) {
	e := &Error{Code: CodeRequestRejected, Remote: true}
	if e.Code.String() != "H3_REQUEST_REJECTED" || Code(0x33).String() != "H3_DATAGRAM_ERROR" || Code(7).String() != "H3_UNKNOWN(0x7)" {
		t.Error("names")
	}
	if !errors.Is(e, &Error{Code: CodeRequestRejected, Remote: true}) || errors.Is(e, &Error{Code: CodeRequestRejected}) {
		t.Error("Is must compare code and side")
	}
	lost := &LostError{Err: &Error{Code: CodeNoError, Remote: true}}
	if !errors.Is(lost, ErrConnectionLost) || !errors.Is(lost, &Error{Code: CodeNoError, Remote: true}) {
		t.Error("LostError matching")
	}
	for c, n := range codeNames {
		if n == "" || c.String() != n {
			t.Errorf("%#x", uint64(c))
		}
	}
}
