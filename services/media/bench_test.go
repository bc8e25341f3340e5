package media_test

import (
	"bytes"
	"image/color"
	"image/jpeg"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/blogapi/blogapi/services/media"
	"github.com/blogapi/blogapi/services/media/mediatest"
)

// photo12MP is mediatest.Photo(4000, 3000), made once.
var photo12MP = sync.OnceValue(func() []byte { return mediatest.Photo(4000, 3000) })

// BenchmarkProcess12MP measures processing a 12-megapixel JPEG into the
// stored image (1920 px wide) and its thumbnail, and an avatar: wall time
// per image (ns/op), CPU time per image (cpu-ms/op, user + system, every
// goroutine: the resizer runs on all CPUs) and the peak live heap while
// processing (peak-heap-MB, sampled every millisecond) on top of what was
// live before.
func BenchmarkProcess12MP(b *testing.B) {
	data := photo12MP()
	for _, kind := range []media.Kind{media.KindArticle, media.KindAvatar} {
		b.Run(string(kind), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			runtime.GC()
			base := heapLive()
			peak := base
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				t := time.NewTicker(time.Millisecond)
				defer t.Stop()
				for {
					select {
					case <-stop:
						return
					case <-t.C:
						peak = max(peak, heapLive())
					}
				}
			}()
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				if _, err := media.Process(data, kind); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			close(stop)
			<-done
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MB")
		})
	}
}

// heapLive is the bytes of live and not yet swept heap objects.
func heapLive() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestPhotoFixture keeps the benchmark's input honest: 12 megapixels,
// accepted by the pipeline's limits, the size of a camera's photo.
func TestPhotoFixture(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes a 12-megapixel JPEG")
	}
	data := photo12MP()
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width*cfg.Height != 12_000_000 || cfg.ColorModel != color.YCbCrModel {
		t.Fatalf("fixture %+v, %v", cfg, err)
	}
	if len(data) < 1<<20 || len(data) > 5<<20 {
		t.Fatalf("fixture is %d bytes; want a photo's 1–5 MiB, under media.max_bytes", len(data))
	}
}
