package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ssh3-project/ssh3/bench"
)

const usage = `usage: ssh3-bench MODE [flags]
modes:
  setup       wall time to a remote echo's first byte and exit, per RTT, and a traced run's
              flights and phases (handshake, CONNECT, channel, first output)
  throughput  stdin -> remote cat >/dev/null, remote output -> stdout, -L TCP and UDP
              forwarding, per RTT: MB/s, CPU s/GB
  scale       idle conversations on one server: memory each, handshakes per second
  keystroke   pty session: time from a typed character to its echo
  micro       go test -bench for ./wire and ./frame, summarised
  smoke       every mode once, small, no delay; checks nothing is left behind (CI: -strict)
  plot        redraw -plot FILE.svg from a setup run's -json FILE
flags:
`

// options is the parsed command line.
type options struct {
	mode      string
	rtts      []time.Duration
	n         int
	jsonOut   string
	plot      string
	md        string
	bin       string
	noNetns   bool
	profiles  []string
	impls     []bench.ImplSpec
	size      int64
	conns     []int
	keys      int
	noSSH     bool
	moduleDir string
	user      string
	strict    bool
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func parseArgs(args []string, stderr io.Writer) (*options, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, usage)
		return nil, errors.New("no mode given")
	}
	o := &options{mode: args[0]}
	switch o.mode {
	case "setup", "throughput", "scale", "keystroke", "micro", "smoke", "plot":
	default:
		fmt.Fprint(stderr, usage)
		return nil, fmt.Errorf("unknown mode %q", o.mode)
	}
	fs := flag.NewFlagSet("ssh3-bench "+o.mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	rtts := fs.String("rtt", "0,10,50,100,200ms", "emulated round-trip times, comma-separated (unit on the last applies to all without one; throughput: default 0,50ms)")
	fs.IntVar(&o.n, "n", 10, "measured runs per implementation and RTT (after one warm-up)")
	fs.StringVar(&o.jsonOut, "json", "", "setup, throughput, scale: write the results as JSON to `file`")
	fs.StringVar(&o.plot, "plot", "", "setup, throughput: write an SVG plot of the medians to `file`")
	fs.StringVar(&o.md, "md", "", "also write the Markdown tables to `file`")
	fs.StringVar(&o.bin, "bin", "", "`directory` with ssh3 and ssh3-server (default: beside ssh3-bench, else go build)")
	fs.BoolVar(&o.noNetns, "loopback", false, "do not create network namespaces: loopback, no delay")
	profiles := fs.String("profiles", "ssh3-alpha,rth3-00", "this project's wire profiles to measure")
	fs.BoolVar(&o.noSSH, "no-openssh", false, "leave OpenSSH out")
	var names, clients, servers listFlag
	fs.Var(&names, "impl", "another implementation's `name` (repeatable, with -client and -server)")
	fs.Var(&clients, "client", "client `template`: {host} {port} {user} {key} {dir} {cmd}")
	fs.Var(&servers, "server", "server `template`: {host} {port} {authkeys} {dir}")
	size := fs.String("size", "200M", "throughput: bytes each way (K, M, G suffixes)")
	conns := fs.String("conns", "100,1000,10000", "scale: idle conversation counts (OpenSSH's are run only where their processes and memory fit)")
	fs.StringVar(&o.user, "user", "", "log in as this existing `account` (default: as root, a throwaway account with /bin/sh)")
	fs.IntVar(&o.keys, "keys", 20, "keystroke: characters typed")
	fs.StringVar(&o.moduleDir, "module", ".", "micro: the module's `directory`")
	fs.BoolVar(&o.strict, "strict", false, "smoke: fail instead of skipping (OpenSSH missing, no namespaces)")
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.rtts, err = bench.ParseDurations(*rtts); err != nil {
		return nil, err
	}
	rttSet := false
	fs.Visit(func(f *flag.Flag) { rttSet = rttSet || f.Name == "rtt" })
	if o.mode == "throughput" && !rttSet {
		o.rtts = bench.ThroughputRTTs
	}
	if o.size, err = bench.ParseSize(*size); err != nil {
		return nil, err
	}
	if o.conns, err = bench.ParseInts(*conns); err != nil {
		return nil, err
	}
	if o.n < 1 {
		return nil, errors.New("-n must be at least 1")
	}
	if len(names) != len(clients) || len(names) != len(servers) {
		return nil, errors.New("each -impl needs one -client and one -server")
	}
	for i := range names {
		o.impls = append(o.impls, bench.ImplSpec{Name: names[i], Client: clients[i], Server: servers[i]})
	}
	for _, p := range strings.Split(*profiles, ",") {
		switch p = strings.TrimSpace(p); p {
		case "ssh3-alpha", "rth3-00":
			o.profiles = append(o.profiles, p)
		case "":
		default:
			return nil, fmt.Errorf("unknown profile %q", p)
		}
	}
	if o.mode == "plot" && (o.jsonOut == "" || o.plot == "") {
		return nil, errors.New("plot needs -json FILE (read) and -plot FILE.svg (written)")
	}
	if o.mode == "smoke" {
		o.rtts, o.n, o.size, o.conns, o.keys = []time.Duration{0}, 1, 8<<20, []int{10}, 3
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "ssh3-bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := execute(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "ssh3-bench:", err)
		return 1
	}
	return 0
}

func execute(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	if o.mode == "plot" {
		return bench.RedrawPlot(o.jsonOut, o.plot)
	}
	if o.mode == "micro" {
		return writeOut(o, stdout, func(w io.Writer) error { return bench.RunMicro(ctx, o.moduleDir, w, stderr) })
	}
	if os.Geteuid() == 0 {
		for _, what := range bench.CleanStale() {
			fmt.Fprintf(stderr, "removed what an earlier, killed run left: %s\n", what)
		}
	}
	h, err := bench.NewHost("")
	if err != nil {
		return err
	}
	defer h.Close()
	err = runModes(ctx, o, h, stdout, stderr)
	if o.mode != "smoke" {
		return err
	}
	// The smoke also checks that the run cleaned up after itself.
	cerr := h.Close()
	left := bench.Leftovers(os.Getpid(), h.Dir)
	if len(left) > 0 {
		return errors.Join(err, cerr, fmt.Errorf("smoke: left behind: %s", strings.Join(left, "; ")))
	}
	if err == nil && cerr == nil {
		fmt.Fprintln(stderr, "smoke: nothing left behind (namespaces, TUN devices, cgroups, account, server processes)")
	}
	return errors.Join(err, cerr)
}

func runModes(ctx context.Context, o *options, h *bench.Host, stdout, stderr io.Writer) (err error) {
	switch {
	case o.user != "":
		h.User = o.user
	case os.Geteuid() == 0:
		if err := h.AddUser(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "remote user: %s (created for this run, shell /bin/sh)\n", h.User)
	}
	if h.Bin, err = bench.FindBinaries(o.bin, h.Dir); err != nil {
		return err
	}
	impls := implList(o)
	cfg := bench.Config{
		RTTs: o.rtts, N: o.n, Impls: impls, Log: stderr, Size: o.size, Conns: o.conns, Keys: o.keys,
		JSON: o.jsonOut, Plot: o.plot, NoNetns: o.noNetns, ModuleDir: o.moduleDir, Strict: o.strict,
	}
	return writeOut(o, stdout, func(w io.Writer) error {
		switch o.mode {
		case "setup":
			return bench.Setup(ctx, h, cfg, w)
		case "throughput":
			return bench.Throughput(ctx, h, cfg, w)
		case "scale":
			return bench.Scale(ctx, h, cfg, w)
		case "keystroke":
			return bench.Keystroke(ctx, h, cfg, w)
		}
		return bench.Smoke(ctx, h, cfg, w, stderr)
	})
}

// writeOut sends the Markdown to stdout and, with -md, to a file too.
func writeOut(o *options, stdout io.Writer, f func(io.Writer) error) error {
	if o.md == "" {
		return f(stdout)
	}
	file, err := os.Create(o.md)
	if err != nil {
		return err
	}
	err = f(io.MultiWriter(stdout, file))
	return errors.Join(err, file.Close())
}

func implList(o *options) []*bench.Impl {
	var impls []*bench.Impl
	for _, p := range o.profiles {
		impls = append(impls, bench.SSH3(p))
	}
	if o.mode == "throughput" && len(o.profiles) > 0 {
		// Protocol notes §8.8: report one core per process beside the default.
		one := bench.SSH3(o.profiles[0])
		one.Name += " GOMAXPROCS=1"
		one.Env = []string{"GOMAXPROCS=1"}
		impls = append(impls, one)
	}
	if !o.noSSH {
		impls = append(impls, bench.OpenSSH())
	}
	for _, s := range o.impls {
		impls = append(impls, bench.Template(s.Name, s.Client, s.Server))
	}
	return impls
}
