package e2e

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// commandLog records every database command the driver's command monitor
// reports as finished, with the CommandCounter of its context (the
// request's; nil for background work such as the mail queue or the expiry
// sweep).
type commandLog struct {
	mu     sync.Mutex
	events []commandEvent
}

type commandEvent struct {
	counter *models.CommandCounter
	name    string
}

func (l *commandLog) observe(ctx context.Context, command string, _ bool, _ time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, commandEvent{models.CommandCounterFrom(ctx), command})
}

// during runs f (one request) and returns the names of the commands
// started with that request's context, in order. It fails the test when
// commands of two requests are seen, or when the request's own counter
// (what the request log and the metrics report) disagrees with the
// monitor's record.
func (l *commandLog) during(t *testing.T, f func()) []string {
	t.Helper()
	l.mu.Lock()
	start := len(l.events)
	l.mu.Unlock()
	f()
	l.mu.Lock()
	events := slices.Clone(l.events[start:])
	l.mu.Unlock()
	var counter *models.CommandCounter
	names := []string{}
	for _, e := range events {
		if e.counter == nil {
			continue // background work, not the request's
		}
		if counter != nil && e.counter != counter {
			t.Fatalf("commands of two requests in one step: %v", events)
		}
		counter = e.counter
		names = append(names, e.name)
	}
	if counter != nil && counter.Count() != len(names) {
		t.Fatalf("the request counted %d commands started, the monitor saw %d finish: %v", counter.Count(), len(names), names)
	}
	return names
}

// TestDatabaseRoundTrips counts the database commands (round trips) each
// request starts, with the driver's command monitor, through the real
// router and server over the embedded FerretDB. Only the
// commands started with the request's context count: start-up, index
// set-up, the mail queue and the expiry sweep run on contexts of their
// own. The counts are exact for the state each step leaves behind (a
// fresh database, a fixed clock, one client IP).
//
// Three configurations, side by side:
//
//   - defaults: per-IP rate limits on (rate_limit.*) counted in memory
//     (rate_limit.store: memory, no round trip) and replay records for
//     mutating requests (sign.replay: mutating);
//   - mongo rate limits: the defaults with rate_limit.store: mongo;
//   - bare: no rate limits, sign.replay off.
//
// The targets are the route's own work: the per-IP limiter is
// configurable and can be off, so it is not counted against them; in the
// database it adds exactly one findAndModify on the routes it guards. A signed
// mutating request adds exactly one insert, its replay record, shared
// between instances (docs/signing.md).
//
// Targets: user centre ≤ 2 (is 2: the session, read per request so that
// ending it takes effect at once on every instance, docs/security.md; and the
// user, for its status and profile); captcha (is 1); check
// username 1 (is 1); a signed mutating request +1 (is +1); login ≤ 3 +1
// replay record. A failed login costs 4 + 1; a successful one costs 7 + 1
// and misses the target: the user lookup (its alias, then the user, each
// by _id, so that its cost does not grow with the users), the brute-force guard's two
// atomic counters (the account's and the client IP's, each counted before
// the password check so that concurrent guesses see each other), the
// guard's settlement (account cleared, IP forgiven: one update command
// for both), the session insert and the user's lastLoginAt (docs/security.md). No
// fewer round trips keep these: FerretDB v1 has neither pipeline updates
// (to fold a window restart into one update) nor multi-collection bulk
// writes, and merging the guard's counter into the user document would
// give unknown and known accounts different costs (docs/security.md) and lose the
// per-key lock that makes the count atomic on FerretDB.
func TestDatabaseRoundTrips(t *testing.T) {
	const (
		limiter = "findAndModify" // the per-IP rate limit's counter
		replay  = "insert"        // the replay record of a signed mutating request
	)
	type step struct {
		name  string
		route string
		// own is the route's own commands; limited and mutating say
		// whether the defaults add the limiter's and the replay record's.
		own      []string
		limited  bool
		mutating bool
		// auth is how many of own are the access token's check (sessions,
		// users), which runs before the replay record (docs/signing.md,
		// "Replays").
		auth int
		do   func(t *testing.T, c *apitest.Client, inst *apitest.Instance) apitest.Reply
		code int
	}
	var (
		captchaID, answer string
		tokens            loginData
	)
	steps := []step{
		{name: "captcha issue", route: "/blogapi/service/captcha", limited: true, code: 200,
			own: []string{"insert"}, // captchas: insert the answer
			do: func(t *testing.T, c *apitest.Client, inst *apitest.Instance) apitest.Reply {
				r := c.Call(http.MethodGet, "/blogapi/service/captcha", map[string]string{"format": "json"})
				captchaID = r.Header.Get("X-Captcha-Id")
				got, err := inst.DB.Captchas.Peek(context.Background(), captchaID)
				if err != nil {
					t.Fatal(err)
				}
				answer = got.Answer
				return r
			}},
		{name: "register", route: "/blogapi/reg", limited: true, mutating: true, code: 200,
			// captchas: read, then delete (single use); aliases: the
			// account's and the email's; users: insert; email_tokens: the
			// verification link (the mail itself is sent by the queue,
			// outside the request).
			own: []string{"find", "delete", "insert", "insert", "insert", "insert"},
			do: func(t *testing.T, c *apitest.Client, inst *apitest.Instance) apitest.Reply {
				r := c.Call(http.MethodPost, "/blogapi/reg", map[string]string{
					"account": "RoundTrip", "password": apitest.MD5Hex("pw"), "email": "rt@example.com", "captcha": answer, "captcha_id": captchaID,
				})
				inst.App.Mail.Wait()
				return r
			}},
		{name: "check username", route: "/blogapi/reg/check/username", limited: true, code: 200,
			own: []string{"find"}, // aliases: the account's, by _id
			do: func(t *testing.T, c *apitest.Client, inst *apitest.Instance) apitest.Reply {
				return c.Call(http.MethodGet, "/blogapi/reg/check/username", map[string]string{"account": "roundtrip"})
			}},
		{name: "login", route: "/blogapi/login", mutating: true, code: 200,
			// aliases, users: find by _id each; login_attempts: the
			// account's and the IP's counters; login_attempts: account
			// cleared + IP forgiven in one update command; sessions:
			// insert; users: lastLoginAt.
			own: []string{"find", "find", "findAndModify", "findAndModify", "update", "insert", "update"},
			do: func(t *testing.T, c *apitest.Client, inst *apitest.Instance) apitest.Reply {
				r := c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "roundtrip", "password": apitest.MD5Hex("pw")})
				if r.Code == 200 {
					r.Decode(t, &tokens)
				}
				return r
			}},
		{name: "user centre", route: "/blogapi/user/center", code: 200,
			own: []string{"find", "find"}, // sessions, users
			do: func(t *testing.T, c *apitest.Client, inst *apitest.Instance) apitest.Reply {
				return c.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(tokens.Token))
			}},
		{name: "login again at once", route: "/blogapi/login", mutating: true, code: 200,
			// As login: the previous login set the account's counter to
			// zero, and the same upsert counts on from there.
			own: []string{"find", "find", "findAndModify", "findAndModify", "update", "insert", "update"},
			do: func(t *testing.T, c *apitest.Client, inst *apitest.Instance) apitest.Reply {
				return c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "roundtrip", "password": apitest.MD5Hex("pw")})
			}},
		{name: "wrong password after a login", route: "/blogapi/login", mutating: true, code: 401,
			own: []string{"find", "find", "findAndModify", "findAndModify"}, // as a wrong password
			do: func(t *testing.T, c *apitest.Client, inst *apitest.Instance) apitest.Reply {
				return c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "roundtrip", "password": apitest.MD5Hex("nope")})
			}},
		{name: "wrong password", route: "/blogapi/login", mutating: true, code: 401,
			own: []string{"find", "find", "findAndModify", "findAndModify"}, // alias, user; the two counters
			do: func(t *testing.T, c *apitest.Client, inst *apitest.Instance) apitest.Reply {
				return c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "roundtrip", "password": apitest.MD5Hex("nope")})
			}},
		{name: "unknown account", route: "/blogapi/login", mutating: true, code: 401,
			own: []string{"find", "find", "findAndModify", "findAndModify"}, // the same as a wrong password (docs/security.md)
			do: func(t *testing.T, c *apitest.Client, inst *apitest.Instance) apitest.Reply {
				return c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "nobody-here", "password": apitest.MD5Hex("nope")})
			}},
		{name: "profile update", route: "/blogapi/user/update", mutating: true, auth: 2, code: 200,
			// sessions, users; the author_syncs marker of a nick change
			// (docs/blog.md, "Author copies"); users: update and read back
			own: []string{"find", "find", "update", "findAndModify"},
			do: func(t *testing.T, c *apitest.Client, inst *apitest.Instance) apitest.Reply {
				return c.CallWith(http.MethodPut, "/blogapi/user/update", map[string]string{"nick": "RT"}, accessHdr(tokens.Token))
			}},
		{name: "signature rejected", route: "/blogapi/user/center", code: 514,
			own: []string{}, // refused before any database work
			do: func(t *testing.T, c *apitest.Client, inst *apitest.Instance) apitest.Reply {
				return c.Send(apitest.WithHeader(c.SignedRaw(http.MethodGet, "/blogapi/user/center", "", nil, map[string]string{"forged": "1"}), accessHdr(tokens.Token)))
			}},
	}

	for _, mode := range []struct {
		name        string
		defaults    bool // replay records on
		mongoLimits bool // rate_limit.store: mongo
	}{{"defaults", true, false}, {"mongo rate limits", true, true}, {"bare", false, false}} {
		t.Run(mode.name, func(t *testing.T) {
			var log commandLog
			clk := apitest.NewClock()
			cfg := apitest.Config(t)
			if !mode.defaults {
				cfg.RateLimit = config.RateLimit{Store: config.RateStoreMemory}
				cfg.Sign.Replay = "off"
			}
			if mode.mongoLimits {
				cfg.RateLimit.Store = config.RateStoreMongo
			}
			inst := apitest.Start(t, cfg, dbtest.Open(t, models.Options{Now: clk.Now, Observe: log.observe}), clk)
			c := apitest.NewClient(t, inst.Srv.URL, clk)
			perRoute := map[string]int{}
			for _, st := range steps {
				want := st.own
				if mode.defaults && st.mutating {
					want = slices.Insert(slices.Clone(want), st.auth, replay)
				}
				if mode.mongoLimits && st.limited {
					// The limiter runs after the access token's check and
					// the replay record.
					at := st.auth
					if st.mutating {
						at++
					}
					want = slices.Insert(slices.Clone(want), at, limiter)
				}
				var r apitest.Reply
				got := log.during(t, func() { r = st.do(t, c, inst) })
				if r.Code != st.code {
					t.Fatalf("%s: code %d %s, want %d", st.name, r.Code, r.Body, st.code)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: %d round trips %v, want %d %v", st.name, len(got), got, len(want), want)
				}
				perRoute[st.route] += len(got)
			}

			// The same counts are exposed per route for operators and the
			// load harness: blogapi_http_request_db_commands_sum.
			scrape := apitest.ScrapeMetrics(t, c)
			for route, n := range perRoute {
				if got := scrape.Value(t, "blogapi_http_request_db_commands_sum", "route", route); got != float64(n) {
					t.Errorf("metrics: %s made %v round trips, the monitor saw %d", route, got, n)
				}
			}
		})
	}
}
