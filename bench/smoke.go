package bench

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Smoke runs every mode once, small and without delay, so the harness
// cannot rot: setup, throughput, scale, keystroke and micro. It fails on
// the first error; OpenSSH rows are skipped with a message when it is not
// installed, unless Strict.
func Smoke(ctx context.Context, h *Host, cfg Config, w, log io.Writer) error {
	start := time.Now()
	cfg.RTTs, cfg.N, cfg.Keys = []time.Duration{0}, 1, 3
	if cfg.Strict {
		// CI: every path must run, none may be skipped.
		for _, impl := range cfg.Impls {
			if impl.Skip != "" {
				return fmt.Errorf("smoke -strict: %s cannot run: %s", impl.Name, impl.Skip)
			}
		}
		if !cfg.NoNetns {
			n, err := newNet()
			if err != nil {
				return fmt.Errorf("smoke -strict: the namespace relay is unavailable: %w", err)
			}
			if err := n.Close(); err != nil {
				return fmt.Errorf("smoke -strict: %w", err)
			}
		}
	}
	steps := []struct {
		name string
		run  func() error
	}{
		{"setup", func() error { return Setup(ctx, h, cfg, w) }},
		{"throughput", func() error { return Throughput(ctx, h, cfg, w) }},
		{"scale", func() error { return Scale(ctx, h, cfg, w) }},
		{"keystroke", func() error { return Keystroke(ctx, h, cfg, w) }},
		{"micro", func() error { return runMicro(ctx, cfg.ModuleDir, "1x", w, log) }},
	}
	for _, s := range steps {
		t := time.Now()
		if err := s.run(); err != nil {
			return fmt.Errorf("smoke %s: %w", s.name, err)
		}
		fmt.Fprintf(log, "smoke: %s ok (%.1f s)\n", s.name, time.Since(t).Seconds())
	}
	fmt.Fprintf(log, "smoke: all modes ok in %.1f s\n", time.Since(start).Seconds())
	return nil
}
