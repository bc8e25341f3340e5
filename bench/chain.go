package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/internal/app"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/routes"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/signing"
)

// chainPath is the route of the middleware-chain comparison.
const chainPath = "/blogapi/chain"

// chainCase is one handler of the middleware-chain comparison and the
// request it is measured with.
type chainCase struct {
	name    string
	what    string
	handler http.Handler
	target  string
	header  http.Header
}

// serve sends one request through c.handler, as net/http would hand it
// over (no network), and returns the status.
func (c chainCase) serve() int {
	req := httptest.NewRequest(http.MethodGet, c.target, nil)
	for k, v := range c.header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	c.handler.ServeHTTP(w, req)
	return w.Code
}

// chainCases builds the three handlers compared (docs/operations.md,
// "Benchmarks"), each answering GET /blogapi/chain with the same small envelope:
//
//   - bare: a bare Gin engine and the handler;
//   - chain: the router's own middleware (routes.Engine, routes.UserChain)
//     — request id and log, recovery, error renderer, body limit and
//     signature, JWT, replay — with
//     the JWT middleware's session and user reads replaced by a fixed
//     principal: the CPU our code costs per request;
//   - chain+db: the same with the real check (account.Service.Authenticate:
//     the JWT, then the session and the user read from the database on
//     every request, so that ending a session takes effect at once,
//     docs/security.md), so the
//     difference to chain is what the two database round trips cost
//     (driver and, in process, the embedded FerretDB).
//
// The user in the middle of the seeded ones gets a session of its own (on
// the embedded database a lookup by _id reads the collection up to the
// document, so the first user would flatter the reads). The signed URL is
// made once: a GET is not replay-checked (sign.replay mutating), so it can
// be sent again while its timestamp is within sign.max_skew.
func (t *target) chainCases(ctx context.Context) ([]chainCase, error) {
	cfg := t.cfg
	users := t.db.Users
	u, err := users.ByAccount(ctx, accountName(t.seeded/2))
	if err != nil {
		return nil, fmt.Errorf("chain: seeded user: %w", err)
	}
	tokens := auth.NewTokenService(app.TokenConfig(cfg, time.Now))
	sessions := auth.NewSessionService(t.db.Sessions, tokens, nil)
	userSvc := account.New(account.Deps{Users: users, Sessions: sessions, Logger: t.logger, Now: time.Now, AccessTTL: cfg.JWT.AccessTTL})
	pair, err := sessions.Start(ctx, u.ID.Hex(), "bench-chain", "127.0.0.1")
	if err != nil {
		return nil, fmt.Errorf("chain: session: %w", err)
	}
	signer := signing.NewSigner(signing.Config{Apps: app.SignApps(cfg), MaxSkew: cfg.Sign.MaxSkew, Replay: signing.ReplayMutating},
		app.ReplayStore(t.db.Replays))
	answer := func(c *gin.Context) { response.OK(c, gin.H{"ok": true}) }

	bare := gin.New()
	bare.GET(chainPath, answer)

	// The router's own chain (routes.Engine, routes.UserChain) with the
	// request observer and command counter internal/app gives it.
	deps := routes.Deps{
		Logger: t.logger, Policy: response.StatusPolicy(cfg.Response.HTTPStatus),
		MaxBodyBytes: cfg.Server.MaxBodyBytes, Signer: signer,
		RequestTimeout: max(cfg.Server.WriteTimeout-time.Second, cfg.Server.WriteTimeout/2), // as internal/app
		Commands: func(ctx context.Context) (context.Context, func() int) {
			ctx, n := models.WithCommandCounter(ctx)
			return ctx, n.Count
		},
	}
	if t.metrics != nil {
		deps.Observer = t.metrics
	}
	withChain := func(authenticate func(context.Context, string) (auth.Principal, error)) (http.Handler, error) {
		e, err := routes.Engine(deps)
		if err != nil {
			return nil, err
		}
		e.GET(chainPath, append(routes.UserChain(deps, authenticate), answer)...)
		return e, nil
	}
	parseOnly := func(_ context.Context, token string) (auth.Principal, error) {
		claims, err := tokens.Parse(token, auth.TokenAccess)
		if err != nil {
			return auth.Principal{}, err
		}
		return auth.Principal{Claims: claims, User: u}, nil
	}

	signed := newSigner(t.key, t.secret).get("", chainPath, nil, http.Header{"Access-Token": {pair.Access}})
	stubbed, err := withChain(parseOnly)
	if err != nil {
		return nil, err
	}
	withDB, err := withChain(userSvc.Authenticate)
	if err != nil {
		return nil, err
	}
	cases := []chainCase{
		{name: "bare", what: "bare Gin engine, same handler", handler: bare, target: chainPath},
		{name: "chain", what: "request id + log, recovery, errors, body limit + signature, JWT, replay (session/user reads stubbed)", handler: stubbed, target: signed.url, header: signed.header},
		{name: "chain+db", what: "the same with the JWT middleware's session and user reads (2 round trips)", handler: withDB, target: signed.url, header: signed.header},
	}
	for _, c := range cases {
		if code := c.serve(); code != http.StatusOK {
			return nil, fmt.Errorf("chain %s: HTTP %d", c.name, code)
		}
	}
	return cases, nil
}

// chainFigures are the per-request costs of one chain case, measured on
// one goroutine.
type chainFigures struct {
	Name, What string
	N          int
	Wall       time.Duration // per request
	CPU        time.Duration // per request: process user+system time (getrusage)
	CPUKnown   bool
	Allocs     float64 // heap allocations per request
}

// measureChain serves c's request again and again on this goroutine for
// about d and returns the costs per request.
func measureChain(c chainCase, d time.Duration) (chainFigures, error) {
	return measureLoop(c.name, c.what, c.serve, http.StatusOK, d)
}

// measureLoop calls serve (which answers want) again and again on this
// goroutine for about d and returns the costs per call.
func measureLoop(name, what string, serve func() int, want int, d time.Duration) (chainFigures, error) {
	const probe = 50
	start := time.Now()
	for range probe {
		if code := serve(); code != want {
			return chainFigures{}, fmt.Errorf("%s: HTTP %d, want %d", name, code, want)
		}
	}
	n := max(int(d/max(time.Since(start)/probe, time.Nanosecond)), probe)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0, ok0 := processCPU()
	start = time.Now()
	for range n {
		serve()
	}
	wall := time.Since(start)
	cpu1, ok1 := processCPU()
	runtime.ReadMemStats(&m1)
	return chainFigures{
		Name: name, What: what, N: n,
		Wall:     wall / time.Duration(n),
		CPU:      (cpu1 - cpu0) / time.Duration(n),
		CPUKnown: ok0 && ok1,
		Allocs:   float64(m1.Mallocs-m0.Mallocs) / float64(n),
	}, nil
}
