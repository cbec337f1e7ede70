package session

import "testing"

func TestEscaper(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
		act  escapeAction
	}{
		{[]string{"abc"}, "abc", escNone},
		{[]string{"~."}, "", escDisconnect},
		{[]string{"ls\r~."}, "ls\r", escDisconnect},
		{[]string{"a~."}, "a~.", escNone},
		{[]string{"~~x"}, "~x", escNone},
		{[]string{"~", "."}, "", escDisconnect},
		{[]string{"~x"}, "~x", escNone},
		{[]string{"\n~?"}, "\n", escHelp},
	} {
		e := escaper{char: '~', atLineStart: true}
		var got []byte
		act := escNone
		for _, chunk := range tc.in {
			out, a := e.filter([]byte(chunk))
			got = append(got, out...)
			if a != escNone {
				act = a
				break
			}
		}
		if string(got) != tc.want || act != tc.act {
			t.Errorf("filter(%q) = %q, %v; want %q, %v", tc.in, got, act, tc.want, tc.act)
		}
	}
}
