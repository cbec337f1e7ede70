package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ssh3-project/ssh3/app/server"
	"github.com/ssh3-project/ssh3/auth/servercert"
	"github.com/ssh3-project/ssh3/auth/verify"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// run is the whole server; it returns the exit status.
func run(args []string, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "ssh3-server: %v\n", err)
		return 2
	}
	if c.version {
		fmt.Fprintf(stderr, "ssh3-server %s (%s)\n", server.Software.Version, server.Software.Name)
		return 0
	}
	level := slog.LevelInfo
	if c.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := serve(c, log); err != nil {
		log.Error("ssh3-server: " + err.Error())
		return 1
	}
	return 0
}

func serve(c *config, log *slog.Logger) error {
	tlsConf, err := tlsConfig(c, log)
	if err != nil {
		return err
	}
	profiles, err := profiles(c.profile)
	if err != nil {
		return err
	}
	cfg := server.Config{
		TLSConfig: tlsConf, Path: c.urlPath, Profiles: profiles, Logger: log,
		EnvAllow: splitList(c.envAllow), Subsystems: map[string]string{},
		NoWWWAuthenticate: c.noWWWAuthenticate,
		StockSettings:     c.stockSettings,
		AuthorizedFiles:   splitList(c.authorizedFiles),
	}
	if cfg.Forwarding, err = forwardingPolicy(c.disableForwarding); err != nil {
		return err
	}
	cfg.Forwarding.GatewayPorts = c.gatewayPorts
	for _, s := range c.subsystems {
		name, cmd, ok := strings.Cut(s, "=")
		if !ok || name == "" || cmd == "" {
			return fmt.Errorf("-subsystem %q: want name=command", s)
		}
		cfg.Subsystems[name] = cmd
	}
	if c.passwordLogin {
		if !verify.PAMAvailable {
			return errors.New("-enable-password-login: this build has no PAM (built without cgo)")
		}
		cfg.Passwords = &verify.PAM{}
	}
	if cfg.MaxStartups, err = conn.ParseStartups(c.maxStartups); err != nil {
		return fmt.Errorf("-max-startups: %w", err)
	}
	if cfg.LoginGraceTime, err = loginGrace(c.loginGraceTime); err != nil {
		return fmt.Errorf("-login-grace-time: %w", err)
	}
	grace, err := time.ParseDuration(c.shutdownGrace)
	if err != nil {
		return fmt.Errorf("-shutdown-grace: %w", err)
	}
	srv := server.New(cfg)
	pc, err := net.ListenPacket("udp", c.bind)
	if err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		log.Warn("not running as root: only this user can log in", "uid", os.Geteuid())
	}
	log.Info("listening", "addr", pc.LocalAddr().String(), "path", c.urlPath, "profiles", c.profile)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(pc) }()
	sigs := make(chan os.Signal, 1)
	// SIGHUP is handled (and ignored) rather than left ignored: an ignored
	// signal stays ignored in every session's processes, and sessions whose
	// client goes away are ended with SIGHUP.
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	var sig os.Signal
	for sig == nil || sig == syscall.SIGHUP {
		if sig == syscall.SIGHUP {
			log.Info("SIGHUP: nothing to reload")
		}
		select {
		case err := <-done:
			return err
		case sig = <-sigs:
		}
	}
	log.Info("shutting down", "signal", sig.String(), "grace", grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	_ = srv.Shutdown(ctx)
	<-done
	return nil
}

func profiles(name string) ([]*frame.Profile, error) {
	if name == "both" || name == "" {
		return frame.Profiles(), nil
	}
	p, err := frame.ProfileByName(name)
	if err != nil {
		return nil, fmt.Errorf("-profile: %w", err)
	}
	return []*frame.Profile{p}, nil
}

// tlsConfig loads the certificate, creating a self-signed one when asked
// and absent, or takes certificates from ACME.
func tlsConfig(c *config, log *slog.Logger) (*tls.Config, error) {
	if c.publicCertDomain != "" {
		m, tc, err := servercert.NewACME(servercert.ACMEConfig{
			Hosts: []string{c.publicCertDomain}, CacheDir: c.acmeCache, Email: c.acmeEmail,
			DirectoryURL: c.acmeDirectory, AcceptTOS: true,
		}, "h3")
		if err != nil {
			return nil, err
		}
		go func() {
			// HTTP-01 challenges arrive over TCP port 80.
			err := http.ListenAndServe(":80", m.HTTPHandler(nil))
			log.Warn("ACME HTTP-01 listener stopped", "err", err)
		}()
		return tc, nil
	}
	cert, err := servercert.Load(c.certFile, c.keyFile)
	if errors.Is(err, fs.ErrNotExist) && c.generateSelfSigned {
		host, _, _ := net.SplitHostPort(c.bind)
		var hosts []string
		if host != "" && host != "::" && host != "0.0.0.0" {
			hosts = append(hosts, host)
		}
		if cert, err = servercert.Generate(c.certFile, c.keyFile, servercert.Options{Hosts: hosts}); err != nil {
			return nil, err
		}
		log.Info("generated a self-signed certificate", "cert", c.certFile, "key", c.keyFile)
	} else if err != nil {
		return nil, fmt.Errorf("certificate: %w (use -generate-selfsigned-cert to create one)", err)
	}
	return servercert.TLSConfig(cert, "h3"), nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// loginGrace reads -login-grace-time: a duration, or a bare number of
// seconds as sshd's LoginGraceTime; 0 means no limit.
func loginGrace(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.Atoi(v)
		if nerr != nil {
			return 0, err
		}
		d = time.Duration(n) * time.Second
	}
	switch {
	case d < 0:
		return 0, fmt.Errorf("negative duration %s", v)
	case d == 0:
		return -1, nil
	}
	return d, nil
}
