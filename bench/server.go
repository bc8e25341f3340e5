package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/internal/app"
	"github.com/blogapi/blogapi/internal/metrics"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/routes"
	"github.com/blogapi/blogapi/services/auth"
)

// benchPassword is the password of every seeded user; clients send its md5
// hex (docs/security.md).
const benchPassword = "bench-password"

// md5hex is what a client sends as `password`.
func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Profile labels: goroutines started under them (the HTTP server's
// connections, the embedded database's, the load generator's) carry them
// into the CPU profile, so the server's share can be told from the load
// generator's in the same process.
const (
	labelSide     = "side"
	sideServer    = "server"
	sideDatabase  = "database"
	sideGenerator = "generator"
)

// target is the API under load: where it answers, the app that signs,
// and, in process, what it runs with.
type target struct {
	base   string
	key    string
	secret string
	// In-process only (zero with -url).
	cfg    config.Config
	db     *models.DB
	logger *slog.Logger
	// metrics is the registry the server records into, as main.go's does
	// (nil when metrics.enabled is false).
	metrics *metrics.Metrics
	hash    string // the one argon2id hash every seeded user shares
	seeded  int    // users accountName(0) … accountName(seeded-1) exist
	close   func()
}

// benchConfig is the configuration of an in-process server: the file at
// path (and BLOGAPI_* variables) with what a benchmark needs replaced: a
// fresh data dir, the embedded database on loopback, the file's rate
// limits (on by default) counted in rateStore ("" keeps the file's
// rate_limit.store), and 127.0.0.1 trusted as a proxy so that requests
// come from many client IPs through X-Forwarded-For, as a site's do.
func benchConfig(path, dataDir string, hashSlots int, rateStore string) (config.Config, error) {
	cfg, err := config.Load(path, os.Getenv)
	if err != nil {
		return config.Config{}, fmt.Errorf("%w (run from the repository root or pass -config)", err)
	}
	cfg.Data.Dir = dataDir
	cfg.Mongo.URI = ""
	cfg.Mongo.EmbeddedListen = ""
	cfg.Server.TrustedProxies = []string{"127.0.0.1"}
	if rateStore != "" {
		cfg.RateLimit.Store = config.RateStore(rateStore)
	}
	if hashSlots > 0 {
		cfg.Security.HashConcurrency = hashSlots
	}
	return cfg, cfg.Validate()
}

// startInProcess opens the embedded FerretDB on a fresh temp data dir and
// serves the API over its database as main.go does (internal/app), on
// 127.0.0.1:0. Request logs are formatted at the configured level and
// discarded: their cost is measured, not the disk's.
func startInProcess(ctx context.Context, o options) (*target, error) {
	dir, err := os.MkdirTemp("", "blogapi-bench-")
	if err != nil {
		return nil, err
	}
	var cleanup []func()
	undo := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
		_ = os.RemoveAll(dir)
	}
	cfg, err := benchConfig(o.configPath, dir, o.hashSlots, o.rateStore)
	if err != nil {
		undo()
		return nil, err
	}
	routes.SetMode("release")
	logger := app.NewLogger(io.Discard, cfg.Log)
	m := app.NewMetrics(cfg, logger)

	var db *models.DB
	pprof.Do(ctx, pprof.Labels(labelSide, sideDatabase), func(ctx context.Context) {
		db, err = app.OpenDatabase(ctx, cfg, logger, io.Discard, m)
	})
	if err != nil {
		undo()
		return nil, err
	}
	cleanup = append(cleanup, db.Close)
	hash, err := auth.NewPasswordHasher(1).Hash(ctx, md5hex(benchPassword))
	if err != nil {
		undo()
		return nil, err
	}
	app0 := cfg.Sign.Apps[0]
	t := &target{key: app0.Key, secret: app0.Secret, cfg: cfg, logger: logger, metrics: m, hash: hash}
	first, err := t.serve(ctx, db)
	if err != nil {
		undo()
		return nil, err
	}
	cleanup = append(cleanup, first.close)
	t.base, t.db, t.close = first.base, first.db, undo
	return t, nil
}

// serve starts another API instance over db (a database of the same
// embedded FerretDB) on 127.0.0.1:0; its close stops the HTTP server and
// the app (not db).
func (t *target) serve(ctx context.Context, db *models.DB) (*target, error) {
	a, err := app.New(ctx, t.cfg, db, t.logger, time.Now, t.metrics)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close()
		return nil, err
	}
	srv := app.NewServer(t.cfg, routeLabels(a.Handler), nil)
	served := make(chan struct{})
	go pprof.Do(context.WithoutCancel(ctx), pprof.Labels(labelSide, sideServer), func(context.Context) {
		defer close(served)
		_ = srv.Serve(ln)
	})
	inst := *t
	inst.base, inst.db, inst.seeded = "http://"+ln.Addr().String(), db, 0
	inst.close = func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-served
		a.Close()
	}
	return &inst, nil
}

// labelRoute labels the server's CPU samples with the request's path, so
// that a profile under the login flood tells the flood's share from the
// user centre's.
const labelRoute = "route"

// routeLabels serves h with the request path as the goroutine's route
// label, besides side=server (a few hundred nanoseconds a request). The
// request's context carries no labels: side=server is put on it, so that
// the connection's goroutine keeps it (and loses the route) once the
// handler returns.
func routeLabels(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := pprof.WithLabels(r.Context(), pprof.Labels(labelSide, sideServer))
		pprof.Do(ctx, pprof.Labels(labelRoute, r.URL.Path), func(context.Context) { h.ServeHTTP(w, r) })
	})
}

// connectRemote targets a running server at base: nothing is started or
// seeded here (seedViaAPI registers users).
func connectRemote(base, key, secret string) *target {
	return &target{base: strings.TrimRight(base, "/"), key: key, secret: secret, close: func() {}}
}

// accountName is the account of the i-th seeded user.
func accountName(i int) string { return fmt.Sprintf("bench%06d", i) }

// seedTo inserts users accountName(t.seeded) … accountName(n-1) straight
// into `users` through the database's UserStore (CreateMany, 1,000 at a time), all
// with the one argon2id hash computed at start-up: hashing 50,000
// passwords would take the run's whole budget, and what is measured is the
// lookup, not the registration.
func (t *target) seedTo(ctx context.Context, n int) error {
	const batch = 1000
	store := t.db.Users
	now := time.Now().UnixMilli()
	for from := t.seeded; from < n; from += batch {
		users := make([]models.User, 0, batch)
		for i := from; i < min(from+batch, n); i++ {
			users = append(users, t.benchUser(i, now))
		}
		if err := store.CreateMany(ctx, users); err != nil {
			return fmt.Errorf("seed users %d–%d: %w", from, from+len(users)-1, err)
		}
		t.seeded = from + len(users)
	}
	return nil
}

// benchUser is the i-th seeded user, created at now (ms).
func (t *target) benchUser(i int, now int64) models.User {
	return models.User{
		Account: accountName(i), Email: accountName(i) + "@bench.example", Status: models.StatusNormal,
		Nick: "bench", Created: now, Type: models.TypeClient, PasswordHash: t.hash,
	}
}

// seedViaAPI registers users accountName(0) … accountName(n-1) with POST
// /blogapi/reg (-url mode); an account that already exists (409) counts as
// seeded, so a second run against the same server reuses them.
func (t *target) seedViaAPI(ctx context.Context, n int) error {
	s := newSigner(t.key, t.secret)
	client := &http.Client{Timeout: 30 * time.Second}
	for i := t.seeded; i < n; i++ {
		body, _ := json.Marshal(map[string]string{
			"account": accountName(i), "password": md5hex(benchPassword), "email": accountName(i) + "@bench.example",
		})
		code, _, err := call(ctx, client, s.post(t.base, "/blogapi/reg", body, nil))
		if err != nil {
			return fmt.Errorf("register %s: %w", accountName(i), err)
		}
		if code != response.CodeOK && code != response.CodeConflict {
			return fmt.Errorf("register %s: envelope code %d (the server needs captcha.enabled false and no register rate limit)", accountName(i), code)
		}
	}
	t.seeded = n
	return nil
}

// login logs n of the seeded users in through the API and returns their
// access tokens: users evenly spaced over the population, since where a
// user's document lies matters on the embedded database (a lookup by _id
// reads the collection up to it, see BENCHMARKS.md).
func (t *target) login(ctx context.Context, n int) ([]string, error) {
	s := newSigner(t.key, t.secret)
	client := &http.Client{Timeout: 30 * time.Second}
	tokens := make([]string, n)
	for i := range n {
		tok, err := t.loginAccount(ctx, client, s, accountName((2*i+1)*t.seeded/(2*n)))
		if err != nil {
			return nil, err
		}
		tokens[i] = tok
	}
	return tokens, nil
}

// loginAccount logs account (password benchPassword) in through the API
// and returns its access token.
func (t *target) loginAccount(ctx context.Context, client *http.Client, s *signer, account string) (string, error) {
	body, _ := json.Marshal(map[string]string{"account": account, "password": md5hex(benchPassword)})
	code, data, err := call(ctx, client, s.post(t.base, "/blogapi/login", body, nil))
	if err != nil {
		return "", fmt.Errorf("login %s: %w", account, err)
	}
	var d struct {
		Token string `json:"token"`
	}
	if code != response.CodeOK || json.Unmarshal(data, &d) != nil || d.Token == "" {
		return "", fmt.Errorf("login %s: envelope code %d", account, code)
	}
	return d.Token, nil
}

// call sends one request built from tgt and returns the envelope's code and
// data.
func call(ctx context.Context, client *http.Client, tgt requestSpec) (int, json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, tgt.method, tgt.url, bytes.NewReader(tgt.body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = tgt.header
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var env struct {
		Code int             `json:"code"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return 0, nil, errors.Join(fmt.Errorf("HTTP %d: body is not an envelope", resp.StatusCode), err)
	}
	return env.Code, env.Data, nil
}
