package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/switchboard/switchboard/bot"
)

func init() {
	register(command{
		name:    "serve",
		summary: "run the HTTP server and every enabled adapter until SIGINT/SIGTERM",
		run:     runServe,
	})
}

// getenv is the environment the commands read (tests replace it).
var getenv = os.Getenv

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "[--config F] [--role all|gateway|worker]", stderr)
	config := fs.String("config", "", "configuration file (default "+bot.DefaultConfigPath+" when present, else the built-in defaults)")
	role := fs.String("role", bot.RoleAll, "all: one process does everything; gateway: adapters and HTTP, enqueueing messages in Redis; worker: answers queued messages (gateway and worker need REDIS_URL)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("serve: unexpected argument %q", fs.Arg(0))}
	}
	switch *role {
	case bot.RoleAll, bot.RoleGateway, bot.RoleWorker:
	default:
		return usageError{msg: fmt.Sprintf("serve: unknown role %q (want all, gateway or worker)", *role)}
	}
	cfg, path, err := bot.LoadConfig(*config, getenv)
	if err != nil {
		return err
	}
	log := bot.NewLogger(cfg.Log, stderr)
	if path == "" {
		path = "built-in defaults"
	}
	log.Info("configuration", "from", path)
	s, err := bot.New(ctx, cfg, bot.Options{Logger: log, Role: *role})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		_ = s.Shutdown(context.Background())
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Fprintf(stdout, "Switchboard is listening on %s\n", ln.Addr())
	if *role != bot.RoleWorker {
		// A worker serves health and metrics only.
		fmt.Fprintf(stdout, "Demo help page: %s\n", demoURL(ln.Addr()))
	}
	return s.Serve(ctx, ln)
}

// demoURL is the address a browser on this machine opens for the demo page.
func demoURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String() + "/"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
