// Command blogapi serves the signed blog API (see README.md).
//
//	go run .                      # config.yaml, embedded database under ./data
//	go run . -config config.production.yaml   # a copy of config.production.example.yaml
//	                                          # BLOGAPI_* variables override either file
//	go run . admin create -account NAME -email ADDR   # the first admin (password on stdin)
//	go run . admin list                               # the admins
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/internal/app"
	"github.com/blogapi/blogapi/routes"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal stops the process at once
	}()
	if err := run(ctx, os.Args, os.Environ(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "blogapi:", err)
		os.Exit(1)
	}
}

// run loads the configuration named by args (-config PATH, default
// config.yaml) and the BLOGAPI_* variables of environ ("NAME=value"
// pairs), warns about a BLOGAPI_ variable naming no key (and refuses it
// in release mode), opens the database (embedded FerretDB when mongo.uri is
// empty), serves the API on server.addr (and the metrics on metrics.addr
// when set) until ctx ends, then drains in-flight requests for at most
// server.shutdown_timeout and closes the database (docs/operations.md). After the
// flags, `admin ...` runs the admin sub-command instead (app.Admin: the
// first admin; stdin gives its password).
func run(ctx context.Context, args []string, environ []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stdout)
	configPath := fs.String("config", "config.yaml", "configuration file (YAML); BLOGAPI_* environment variables override it")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		if name, value, ok := strings.Cut(kv, "="); ok {
			vars[name] = value
		}
	}
	cfg, err := config.Load(*configPath, func(name string) string { return vars[name] })
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "":
	case "admin":
		return app.Admin(ctx, cfg, fs.Args()[1:], stdin, stdout)
	default:
		return fmt.Errorf("unknown command %q (commands: admin)", fs.Arg(0))
	}
	logger := app.NewLogger(stdout, cfg.Log)
	if unknown := config.UnknownEnv(environ); len(unknown) > 0 {
		if cfg.Server.Mode == "release" {
			return fmt.Errorf("config: %s: no such key (BLOGAPI_ + the key upper-cased, dots as underscores; the keys are in config.yaml); release mode refuses a variable it would ignore", strings.Join(unknown, ", "))
		}
		logger.Warn("environment variables ignored: they name no configuration key (BLOGAPI_ + the key upper-cased, dots as underscores; the keys are in config.yaml)", "names", strings.Join(unknown, ","))
	}
	routes.SetMode(cfg.Server.Mode)

	m := app.NewMetrics(cfg, logger)
	db, err := app.OpenDatabase(ctx, cfg, logger, stdout, m)
	if err != nil {
		return err
	}
	defer db.Close()

	a, err := app.New(ctx, cfg, db, logger, time.Now, m)
	if err != nil {
		return err
	}
	defer a.Close()

	errorLog := slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	servers := []listener{{
		key: "server.addr", addr: cfg.Server.Addr,
		srv:     app.NewServer(cfg, a.Handler, errorLog),
		logArgs: []any{"mode", cfg.Server.Mode},
	}}
	if a.Metrics != nil {
		servers = append(servers, listener{
			key: "metrics.addr", addr: cfg.Metrics.Addr,
			// No WriteTimeout: a CPU profile or trace streams for as long
			// as its ?seconds= asks (pprof refuses one longer than a
			// WriteTimeout).
			srv: &http.Server{
				Handler:           a.Metrics,
				ReadHeaderTimeout: 10 * time.Second,
				ReadTimeout:       10 * time.Second,
				IdleTimeout:       2 * time.Minute,
				MaxHeaderBytes:    16 << 10,
				ErrorLog:          errorLog,
			},
			logArgs: []any{"serves", "metrics", "pprof", cfg.Metrics.PProf},
		})
	}
	return serve(ctx, logger, cfg.Server.ShutdownTimeout, servers)
}

// listener is an HTTP server and the address (config key key) it listens
// on.
type listener struct {
	key, addr string
	srv       *http.Server
	logArgs   []any
}

// serve listens on every address, then serves until ctx ends or a server
// fails, and shuts every server down gracefully, together, within
// timeout.
func serve(ctx context.Context, logger *slog.Logger, timeout time.Duration, servers []listener) error {
	lns := make([]net.Listener, 0, len(servers))
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for _, s := range servers {
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			return fmt.Errorf("%s: %w", s.key, err)
		}
		lns = append(lns, ln)
	}
	served := make(chan error, len(servers))
	for i, s := range servers {
		logger.Info("listening", append([]any{"addr", lns[i].Addr().String(), "key", s.key}, s.logArgs...)...)
		go func() { served <- s.srv.Serve(lns[i]) }()
	}
	var failed error
	select {
	case err := <-served:
		failed = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", timeout.String())
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	// Every server drains at once, within the same deadline; one that
	// cannot is closed, so no handler outlives the database closed next.
	shutErrs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() {
			if err := s.srv.Shutdown(shutCtx); err != nil {
				_ = s.srv.Close()
				shutErrs[i] = fmt.Errorf("shutdown %s: %w", s.key, err)
			}
		})
	}
	wg.Wait()
	errs := slices.DeleteFunc(shutErrs, func(err error) bool { return err == nil })
	remaining := len(servers)
	if failed != nil {
		remaining--
	}
	for range remaining {
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve: %w", err))
		}
	}
	return errors.Join(append([]error{failed}, errs...)...)
}
