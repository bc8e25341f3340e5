package e2e

import (
	"net/http"
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
