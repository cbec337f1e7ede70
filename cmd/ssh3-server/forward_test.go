package main

import "testing"

func TestForwardingPolicy(t *testing.T) {
	p, err := forwardingPolicy("tcp,agent")
	if err != nil || !p.DisableTCP || !p.DisableAgent || p.DisableUDP || p.DisableReverse {
		t.Errorf("tcp,agent: %+v %v", p, err)
	}
	p, err = forwardingPolicy("all")
	if err != nil || !p.DisableTCP || !p.DisableUDP || !p.DisableReverse || !p.DisableAgent {
		t.Errorf("all: %+v %v", p, err)
	}
	if _, err := forwardingPolicy("x11"); err == nil {
		t.Error("x11 accepted")
	}
	if p, err := forwardingPolicy(""); err != nil || p.DisableTCP {
		t.Errorf("empty: %+v %v", p, err)
	}
}
