package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/handoff-chat/handoff/internal/config"
)

// runHealthcheck asks the handoff process of this machine (or container)
// whether it is ready: GET /readyz on health.addr when set, else on
// http.addr, read from the same configuration as the process. It succeeds
// on 200 and fails otherwise, so an image without a shell can carry a
// health check (Docker's HEALTHCHECK, compose's healthcheck).
func runHealthcheck(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("handoff healthcheck", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", "", "config file (default: $HANDOFF_CONFIG, else ./config.yaml if present)")
	path := flags.String("path", "/readyz", "the path to check: /readyz (ready) or /healthz (alive)")
	timeout := flags.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "usage: handoff healthcheck [--config FILE] [--path /readyz|/healthz] [--timeout 5s]\n\n"+
			"Checks the handoff process on this machine: GET the path on health.addr when set, else on\n"+
			"http.addr (an address on every interface is checked on the loopback one). Exits 0 on 200.\n\nFlags:\n")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("handoff healthcheck takes no arguments, got %q", flags.Args())
	}
	if *path != "/readyz" && *path != "/healthz" {
		return fmt.Errorf("--path must be /readyz or /healthz, got %q", *path)
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	addr := cfg.HTTP.Addr
	if cfg.Health.Addr != "" {
		addr = cfg.Health.Addr
	}
	target, err := checkURL(addr, *path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	answer := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: %s answered %d %s", target, resp.StatusCode, answer)
	}
	_, err = fmt.Fprintf(stdout, "%s: %d %s\n", target, resp.StatusCode, answer)
	return err
}

// checkURL is the URL of path on the listening address addr; a listener on
// every interface (":8080", "0.0.0.0:8080", "[::]:8080") is reached on the
// loopback interface.
func checkURL(addr, path string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("health check address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return (&url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: path}).String(), nil
}
