package e2e

import (
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/blogapi/blogapi/internal/apitest"
)

// TestCredentialRoutesBounded: the credential routes run at most
// security.hash_concurrency at a time as a whole (middleware.Bulkhead):
// with one slot and security.hash_queue 0, of logins sent at once (each
// holding its slot for an argon2id verify) one gets in and the others are
// shed with 503 at once; with room to wait, all of them get in, one after
// the other.
func TestCredentialRoutesBounded(t *testing.T) {
	const logins = 6
	for _, tc := range []struct {
		name  string
		queue int
	}{{"no queue", 0}, {"queue", logins}} {
		t.Run(tc.name, func(t *testing.T) {
			clk := apitest.NewClock()
			cfg := apitest.Config(t)
			cfg.Captcha.Enabled = false
			cfg.Security.HashConcurrency = 1
			cfg.Security.HashQueue = tc.queue
			inst := apitest.Start(t, cfg, apitest.NewDB(t, clk), clk)
			c := apitest.NewClient(t, inst.Srv.URL, clk)
			apitest.Expect(t, c.Call(http.MethodPost, "/blogapi/reg", map[string]string{
				"account": "bulk", "password": apitest.MD5Hex("pw"), "email": "bulk@example.com",
			}), 200, "register")

			// burst signs the logins one by one (distinct timestamps), sends
			// them at once and counts the answers by status; a 503 without
			// Retry-After: 1 counts as -1.
			burst := func() map[int]int {
				reqs := make([]*http.Request, logins)
				for i := range reqs {
					reqs[i] = c.SignedRawJSON(http.MethodPost, "/blogapi/login", `{"account":"bulk","password":"`+apitest.MD5Hex("pw")+`"}`)
				}
				codes := make([]int, logins)
				errs := make([]error, logins)
				var wg sync.WaitGroup
				for i, req := range reqs {
					wg.Go(func() {
						r, err := c.TrySend(req)
						if err != nil {
							errs[i] = err
							return
						}
						codes[i] = r.Status
						if r.Status == http.StatusServiceUnavailable && r.Header.Get("Retry-After") != "1" {
							codes[i] = -1 // shed without saying when to come back
						}
					})
				}
				wg.Wait()
				counts := map[int]int{}
				for i := range codes {
					if errs[i] != nil {
						t.Fatal(errs[i])
					}
					counts[codes[i]]++
				}
				return counts
			}
			if tc.queue == 0 {
				// One gets the slot and the rest are shed, as long as they
				// arrive while it is held: that takes overlapping requests,
				// which the scheduler does not promise in every burst, so
				// up to rounds bursts are sent until one overlaps.
				const rounds = 5
				shed := false
				for round := 0; round < rounds && !shed; round++ {
					counts := burst()
					if counts[200] < 1 || counts[200]+counts[503] != logins {
						t.Fatalf("logins at once, one slot, no queue: %v; want one or more 200, the rest 503 with Retry-After: 1", counts)
					}
					shed = counts[503] > 0
				}
				if !shed {
					t.Fatalf("%d bursts of %d logins at once, one slot, no queue: none shed", rounds, logins)
				}
			} else if counts := burst(); counts[200] != logins {
				t.Fatalf("logins at once, one slot, room to wait: %v; want all 200", counts)
			}
			// The slot is free again.
			login(t, c, "bulk", "pw")
		})
	}
}

// TestCaptchaLoginFirst: a login carrying a captcha answer waits for its
// hashing slot ahead of those that do not (middleware.CarriesCaptcha), so
// a user who answered the captcha during a login flood waits for the hash
// in progress, not for the flood's queue. With one slot, a burst of
// wrong-password logins without captcha is sent; once the first of them is
// answered the others wait, each for an argon2id verify; a login with the
// right captcha and password sent then is answered before the last
// waiters of the burst (in arrival order it would come after all of them).
func TestCaptchaLoginFirst(t *testing.T) {
	const burst = 6
	clk := apitest.NewClock()
	cfg := apitest.Config(t)
	cfg.Security.HashConcurrency = 1
	cfg.Security.HashQueue = burst
	cfg.Security.LoginFloodPerMinute = 100
	cfg.Security.LoginCaptchaAfterIP = 100
	inst := apitest.Start(t, cfg, apitest.NewDB(t, clk), clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	apitest.Expect(t, register(t, c, inst, "prio", "prio@example.com", "pw"), 200, "register")

	// Each wrong guess names another (unknown) account, so no account
	// asks for a captcha; each still costs an argon2id verify.
	reqs := make([]*http.Request, burst)
	for i := range reqs {
		reqs[i] = c.SignedRawJSON(http.MethodPost, "/blogapi/login",
			`{"account":"nobody`+strconv.Itoa(i)+`","password":"`+apitest.MD5Hex("wrong")+`"}`)
	}
	id, answer := c.Captcha(inst)
	withCaptcha := c.Request(http.MethodPost, "/blogapi/login", map[string]string{
		"account": "prio", "password": apitest.MD5Hex("pw"), "captcha": answer, "captcha_id": id}, nil)

	type answered struct {
		who    string
		status int
		err    error
	}
	answers := make(chan answered, burst+1)
	send := func(who string, req *http.Request) {
		r, err := c.TrySend(req)
		answers <- answered{who: who, status: r.Status, err: err}
	}
	for i, req := range reqs {
		go send("guess "+strconv.Itoa(i), req)
	}
	var order []answered
	order = append(order, <-answers) // the burst's first is done: the rest wait
	go send("captcha", withCaptcha)
	for range burst {
		order = append(order, <-answers)
	}
	pos := -1
	for i, a := range order {
		if a.err != nil {
			t.Fatalf("%s: %v", a.who, a.err)
		}
		want := http.StatusUnauthorized
		if a.who == "captcha" {
			want, pos = http.StatusOK, i
		}
		if a.status != want {
			t.Fatalf("%s: HTTP %d, want %d", a.who, a.status, want)
		}
	}
	// Answered second or third (a guess may have taken the slot between
	// the first answer and the captcha'd login's arrival), not last.
	if pos > 2 {
		var whos []string
		for _, a := range order {
			whos = append(whos, a.who)
		}
		t.Fatalf("answers in order %v: the login with a captcha came %d of %d", whos, pos+1, len(order))
	}
}
