package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services/media/mediatest"
)

// filterLog records the filters of every command the inspected client
// starts.
type filterLog struct {
	mu   sync.Mutex
	cmds []models.CommandFilters
}

func (l *filterLog) inspect(_ context.Context, c models.CommandFilters) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cmds = append(l.cmds, c)
}

func (l *filterLog) during(f func()) []models.CommandFilters {
	l.mu.Lock()
	start := len(l.cmds)
	l.mu.Unlock()
	f()
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.cmds[start:])
}

// hotPathUsers is how many users (and counter documents) the database of
// TestHotPathFiltersByID holds: enough that a filter the embedded FerretDB
// cannot serve from its _id index costs tens of milliseconds per request.
// BLOGAPI_HOTPATH_USERS overrides it (e.g. 1000 for a quick run).
func hotPathUsers(t *testing.T) int {
	if s := os.Getenv("BLOGAPI_HOTPATH_USERS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("BLOGAPI_HOTPATH_USERS=%q: %v", s, err)
		}
		return n
	}
	return 50_000
}

// TestHotPathFiltersByID sends the public routes, the login and an
// upload's life (upload, serve, delete) to a
// server whose database holds 50,000 users and 50,000 login-guard counter
// documents, watches every command through the driver's command monitor
// (models.Options.Inspect), and fails when a filter is not exactly {_id:
// v}: the only filter the embedded FerretDB serves from an index
// (docs/operations.md, "The embedded database"). The mail queue's work
// (forgot-password looks the address up there) is waited for and counted
// too. The rate limits are counted in MongoDB (rate_limit.store: mongo) so
// that their counters are watched as well.
//
// Known exceptions, none on these routes: the expiry sweep (background,
// delete `{expiresAt: {$lte}}` every minute); POST /password/reset and
// PUT /user/reset, which end the user's other sessions (update sessions
// `{userId, endedAt}`) and delete the user's other tokens (delete
// email_tokens `{userId, kind}`), once per password change; the alias
// backfill at start-up (find users `{}`, once per database); the media
// sweep (background, find uploads `{state, createdAt: {$lt}}` every
// media.sweep_interval).
func TestHotPathFiltersByID(t *testing.T) {
	clk := apitest.NewClock()
	var log filterLog
	db := dbtest.Open(t, models.Options{Now: clk.Now, Inspect: log.inspect, SweepInterval: time.Hour})
	n := hotPathUsers(t)
	seedUsers(t, db, n)

	cfg := apitest.Config(t)
	cfg.RateLimit.Store = config.RateStoreMongo
	inst := apitest.Start(t, cfg, db, clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)

	var tokens loginData
	var up uploadData
	steps := []struct {
		name string
		do   func() apitest.Reply
		code int
	}{
		{"GET /service/captcha", func() apitest.Reply {
			return c.Call(http.MethodGet, "/blogapi/service/captcha", map[string]string{"format": "json"})
		}, 200},
		{"GET /reg/check/username, taken", func() apitest.Reply {
			return c.Call(http.MethodGet, "/blogapi/reg/check/username", map[string]string{"account": "seed77"})
		}, 200},
		{"GET /reg/check/username, free", func() apitest.Reply {
			return c.Call(http.MethodGet, "/blogapi/reg/check/username", map[string]string{"account": "nobody-yet"})
		}, 200},
		{"POST /reg", func() apitest.Reply {
			r := register(t, c, inst, "HotPath", "hot@example.com", "pw")
			inst.App.Mail.Wait()
			return r
		}, 200},
		{"POST /reg, account taken", func() apitest.Reply { return register(t, c, inst, "SEED5", "fresh5@example.com", "pw") }, 409},
		{"POST /login", func() apitest.Reply {
			r := c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "hotpath", "password": apitest.MD5Hex("pw")})
			if r.Code == 200 {
				r.Decode(t, &tokens)
			}
			return r
		}, 200},
		{"POST /login by email", func() apitest.Reply {
			return c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "HOT@example.com", "password": apitest.MD5Hex("pw")})
		}, 200},
		{"POST /login, wrong password", func() apitest.Reply {
			return c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "seed9", "password": apitest.MD5Hex("nope")})
		}, 401},
		{"POST /login, unknown account", func() apitest.Reply {
			return c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "ghost", "password": apitest.MD5Hex("nope")})
		}, 401},
		{"GET /user/center", func() apitest.Reply {
			return c.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(tokens.Token))
		}, 200},
		{"POST /upload", func() apitest.Reply {
			r := upload(t, c, tokens.Token, "article", jpegFile(mediatest.JPEG(800, 600)))
			if r.Code == 200 {
				r.Decode(t, &up)
			}
			return r
		}, 200},
		{"GET /media/<key>", func() apitest.Reply {
			u, _ := url.Parse(up.URL)
			req, _ := http.NewRequest(http.MethodGet, inst.Srv.URL+u.Path, nil)
			r := c.Send(req)
			r.Code = r.Status // an image, not an envelope
			return r
		}, 200},
		{"DELETE /upload/:id", func() apitest.Reply {
			return c.CallWith(http.MethodDelete, "/blogapi/upload/"+up.ID, nil, accessHdr(tokens.Token))
		}, 200},
		{"POST /service/renewal", func() apitest.Reply {
			r := c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{"refreshToken": tokens.RefreshToken})
			if r.Code == 200 {
				r.Decode(t, &tokens)
			}
			return r
		}, 200},
		{"POST /password/forgot", func() apitest.Reply {
			id, answer := c.Captcha(inst)
			r := c.Call(http.MethodPost, "/blogapi/password/forgot", map[string]string{"email": "seed3@example.com", "captcha": answer, "captcha_id": id})
			inst.App.Mail.Wait()
			return r
		}, 200},
		{"POST /password/forgot, unknown address", func() apitest.Reply {
			id, answer := c.Captcha(inst)
			r := c.Call(http.MethodPost, "/blogapi/password/forgot", map[string]string{"email": "nobody@example.com", "captcha": answer, "captcha_id": id})
			inst.App.Mail.Wait()
			return r
		}, 200},
		{"POST /logout", func() apitest.Reply {
			return c.CallWith(http.MethodPost, "/blogapi/logout", nil, accessHdr(tokens.Token))
		}, 200},
	}
	for _, st := range steps {
		var r apitest.Reply
		start := time.Now()
		cmds := log.during(func() { r = st.do() })
		elapsed := time.Since(start)
		if r.Code != st.code {
			t.Fatalf("%s: code %d %s, want %d", st.name, r.Code, r.Body, st.code)
		}
		var seen []string
		for _, cmd := range cmds {
			for _, f := range cmd.Filters {
				seen = append(seen, cmd.Command+" "+cmd.Collection)
				if !f.ByID {
					t.Errorf("%s: %s on %s filters %s, not exactly {_id: v}", st.name, cmd.Command, cmd.Collection, f.JSON)
				}
			}
		}
		t.Logf("%s: %v in %v", st.name, seen, elapsed.Round(time.Millisecond))
	}
}

// seedUsers writes n users seed0…seed<n-1> (seed<i>@example.com) with
// their aliases, and n counter documents of the login guard, straight into
// the stores.
func seedUsers(t *testing.T, db *models.DB, n int) {
	t.Helper()
	// A deadline of its own: a batch of inserts on a loaded machine can
	// outlast the 5 s operation timeout that bounds the API's requests.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const batch = 5000
	for start := 0; start < n; start += batch {
		users := make([]models.User, 0, batch)
		for i := start; i < min(start+batch, n); i++ {
			users = append(users, models.User{
				Account: fmt.Sprintf("seed%d", i), Email: fmt.Sprintf("seed%d@example.com", i),
				Status: models.StatusNormal, Type: models.TypeClient, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=1$c2VlZHNlZWRzZWVk$" + strings.Repeat("A", 43),
			})
		}
		if err := db.Users.CreateMany(ctx, users); err != nil {
			t.Fatal(err)
		}
		docs := make([]any, 0, batch)
		for i := start; i < min(start+batch, n); i++ {
			docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("ip:198.18.%d.%d:1", i/256%256, i%256) + strconv.Itoa(i)},
				{Key: "count", Value: 1}, {Key: "expiresAt", Value: time.Now().Add(time.Hour)}})
		}
		if _, err := dbtest.Collection(t, db, models.CollLoginAttempts).InsertMany(ctx, docs); err != nil {
			t.Fatal(err)
		}
	}
}
