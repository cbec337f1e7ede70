package bench

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ImplSpec is an implementation given as templates on the command line.
type ImplSpec struct{ Name, Client, Server string }

// ParseDurations parses "0,10,50,100,200ms": a unit on any element applies
// to the bare numbers before it that have none (so the usual form puts one
// unit last); all bare is milliseconds.
func ParseDurations(s string) ([]time.Duration, error) {
	parts := strings.Split(s, ",")
	unit := "ms"
	for i := len(parts) - 1; i >= 0; i-- {
		p := strings.TrimSpace(parts[i])
		if p == "" {
			return nil, fmt.Errorf("bench: empty element in %q", s)
		}
		if k := strings.IndexFunc(p, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }); k >= 0 {
			unit = p[k:]
		} else {
			p += unit
		}
		parts[i] = p
	}
	out := make([]time.Duration, len(parts))
	for i, p := range parts {
		d, err := time.ParseDuration(p)
		if err != nil {
			return nil, fmt.Errorf("bench: bad duration %q: %w", p, err)
		}
		if d < 0 {
			return nil, fmt.Errorf("bench: negative duration %q", p)
		}
		out[i] = d
	}
	return out, nil
}

// ParseSize parses a byte count with an optional K, M or G suffix (binary).
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.ToUpper(s), "B"))
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bench: bad size %q", s)
	}
	return n * mult, nil
}

// ParseInts parses "100,1000".
func ParseInts(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bench: bad count %q", p)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("bench: no counts")
	}
	return out, nil
}
