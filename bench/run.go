package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// Config is what the modes share, as the command line set it.
type Config struct {
	RTTs      []time.Duration
	N         int
	Impls     []*Impl
	Log       io.Writer
	Size      int64 // throughput bytes each way
	Conns     []int // scale
	Keys      int   // keystroke characters
	JSON      string
	Plot      string
	NoNetns   bool
	ModuleDir string
	// Strict makes the smoke fail where it would skip: OpenSSH missing,
	// no namespaces.
	Strict bool
}

// openNet makes the namespaces, or falls back to loopback and says why.
func openNet(cfg Config) *Net {
	if !cfg.NoNetns {
		n, err := newNet()
		if err == nil {
			fmt.Fprintf(cfg.Log, "method: %s\n", n.Method)
			return n
		}
		fmt.Fprintf(cfg.Log, "network namespaces unavailable (%v): falling back to loopback with 0 RTT\n", err)
	}
	n := Loopback()
	fmt.Fprintf(cfg.Log, "method: %s\n", n.Method)
	return n
}

// Setup runs the setup measurement and writes its tables, JSON and plot.
func Setup(ctx context.Context, h *Host, cfg Config, w io.Writer) error {
	n := openNet(cfg)
	defer n.Close()
	rtts := cfg.RTTs
	if n.Relay == nil {
		rtts = []time.Duration{0}
		if len(cfg.RTTs) != 1 || cfg.RTTs[0] != 0 {
			fmt.Fprintln(cfg.Log, "setup: loopback: measuring RTT 0 only")
		}
	}
	rep, bds, err := runSetup(ctx, n, h, setupConfig{RTTs: rtts, N: cfg.N, Impls: cfg.Impls, Log: cfg.Log})
	if err != nil {
		return err
	}
	if d := dropped(n); d > 0 {
		fmt.Fprintf(cfg.Log, "setup: the relay dropped %d packets (queue full)\n", d)
	}
	writeSetupMarkdown(w, rep, bds)
	if cfg.JSON != "" {
		if err := writeJSON(cfg.JSON, rep); err != nil {
			return err
		}
	}
	if cfg.Plot != "" {
		if err := os.WriteFile(cfg.Plot, setupPlot(rep), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func dropped(n *Net) int64 {
	if n.Relay == nil {
		return 0
	}
	return n.Relay.Dropped()
}

func writeJSON(file string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(b, '\n'), 0o644)
}

// RedrawPlot draws the setup plot again from a run's JSON.
func RedrawPlot(jsonFile, svgFile string) error {
	b, err := os.ReadFile(jsonFile)
	if err != nil {
		return err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("bench: %s: %w", jsonFile, err)
	}
	return os.WriteFile(svgFile, setupPlot(rep), 0o644)
}
