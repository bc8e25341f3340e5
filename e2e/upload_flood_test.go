package e2e

import (
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/services/media/mediatest"
)

// TestUploadFloodLatency measures the user centre while uploads of
// 12-megapixel photos flood the server, against the same requests without
// the flood (docs/uploads.md, "Benchmark"): the processing slots
// (media.process_concurrency) and queue (media.process_queue) are what keep
// the flood from every CPU. A load measurement of about 25 s, so it runs
// only when asked:
//
//	BLOGAPI_UPLOAD_FLOOD=1 go test ./e2e -run UploadFloodLatency -v
func TestUploadFloodLatency(t *testing.T) {
	if os.Getenv("BLOGAPI_UPLOAD_FLOOD") == "" {
		t.Skip("a load measurement: BLOGAPI_UPLOAD_FLOOD=1 go test ./e2e -run UploadFloodLatency -v")
	}
	const (
		uploaders = 8
		phase     = 10 * time.Second
		every     = 20 * time.Millisecond // one user-centre request per tick
	)
	env := newMediaEnv(t, "local", func(c *config.Config) {
		c.RateLimit.Upload = config.Rate{}
		c.Media.UserQuotaBytes = 0
	})
	photo := mediatest.Photo(4000, 3000)
	ct, body := uploadBody(t, "article", jpegFile(photo))

	// One client signs for every goroutine: its timestamps must stay
	// strictly increasing, or two uploads would sign alike (a replay).
	var signing sync.Mutex
	signed := func(build func() *http.Request) *http.Request {
		signing.Lock()
		defer signing.Unlock()
		return build()
	}
	center := func() (time.Duration, bool) {
		req := signed(func() *http.Request {
			return env.c.Request(http.MethodGet, "/blogapi/user/center", nil, accessHdr(env.bob))
		})
		start := time.Now()
		r, err := env.c.TrySend(req)
		return time.Since(start), err == nil && r.Code == 200
	}
	measure := func() (lat []time.Duration) {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for end := time.Now().Add(phase); time.Now().Before(end); <-tick.C {
			d, ok := center()
			if !ok {
				t.Error("a user-centre request failed")
			}
			lat = append(lat, d)
		}
		return lat
	}

	cpu0, wall0 := cpuTime(), time.Now()
	without := measure()
	cpuWithout := cpuTime() - cpu0
	wallWithout := time.Since(wall0)

	var ok, busy, other atomic.Int64
	var uploadTime atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range uploaders {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				req := signed(func() *http.Request {
					return apitest.WithHeader(env.c.SignedRaw(http.MethodPost, "/blogapi/upload", ct, body, map[string]string{"dir": "article"}), accessHdr(env.alice))
				})
				start := time.Now()
				r, err := env.c.TrySend(req)
				switch {
				case err == nil && r.Code == 200:
					ok.Add(1)
					uploadTime.Add(int64(time.Since(start)))
				case err == nil && r.Code == 503:
					busy.Add(1)
				default:
					other.Add(1)
				}
			}
		})
	}
	cpu0, wall0 = cpuTime(), time.Now()
	with := measure()
	cpuWith := cpuTime() - cpu0
	wallWith := time.Since(wall0)
	close(stop)
	wg.Wait()

	p := func(lat []time.Duration, q float64) time.Duration {
		s := slices.Clone(lat)
		slices.Sort(s)
		return s[min(len(s)-1, int(q*float64(len(s))))]
	}
	t.Logf("user centre without the flood: %d requests, p50 %v, p99 %v; CPU %.0f%% of the machine",
		len(without), p(without, 0.5), p(without, 0.99), 100*cpuWithout.Seconds()/wallWithout.Seconds()/float64(runtime.NumCPU()))
	t.Logf("user centre with %d uploaders of a %d-byte 12 MP photo: %d requests, p50 %v, p99 %v; CPU %.0f%% of the machine",
		uploaders, len(photo), len(with), p(with, 0.5), p(with, 0.99), 100*cpuWith.Seconds()/wallWith.Seconds()/float64(runtime.NumCPU()))
	if n := ok.Load(); n > 0 {
		t.Logf("uploads: %d stored (mean %v each, queue wait included), %d refused 503 busy, %d other", n, time.Duration(uploadTime.Load()/n), busy.Load(), other.Load())
	}
	if ok.Load() == 0 || other.Load() != 0 {
		t.Fatalf("uploads: %d stored, %d answered neither 200 nor 503", ok.Load(), other.Load())
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
