package auth

import "testing"

func TestAllowsOpen(t *testing.T) {
	r := Restrictions{PermitOpen: []string{"localhost:8080", "[::1]:*", "*:443"}}
	for _, tc := range []struct {
		host string
		port uint16
		want bool
	}{
		{"localhost", 8080, true}, {"LOCALHOST", 8080, true}, {"localhost", 8081, false},
		{"::1", 22, true}, {"example.com", 443, true}, {"example.com", 80, false},
	} {
		if got := r.AllowsOpen(tc.host, tc.port); got != tc.want {
			t.Errorf("%s:%d = %v", tc.host, tc.port, got)
		}
	}
	if (&Restrictions{}).AllowsOpen("x", 1) != true || (&Restrictions{NoPortForwarding: true}).AllowsOpen("x", 1) {
		t.Error("defaults")
	}
}
