package auth

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/blogapi/blogapi/services"
)

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestPasswordHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewPasswordHasher(0)
	pw := md5Hex("correct horse battery staple")
	encoded, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("encoded = %q, want the OWASP argon2id parameters", encoded)
	}
	if strings.Contains(encoded, pw) {
		t.Fatal("the hash contains the password")
	}
	other, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if other == encoded {
		t.Fatal("two hashes of one password are equal: no per-hash salt")
	}

	tests := []struct {
		name     string
		encoded  string
		password string
		want     bool
	}{
		{"right password", encoded, pw, true},
		{"right password, upper case hex", encoded, strings.ToUpper(pw), true},
		{"second hash", other, pw, true},
		{"wrong password", encoded, md5Hex("Correct horse battery staple"), false},
		{"unknown account", "", pw, false},
		{"not md5 hex", encoded, "correct horse battery staple", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(ctx, tt.encoded, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.want {
				t.Fatalf("Verify = %v, want %v", ok, tt.want)
			}
		})
	}
}

func TestPasswordHashRefusesNonMD5(t *testing.T) {
	h := NewPasswordHasherParams(1, 64, 1)
	for _, pw := range []string{"", "secret", md5Hex("x") + "0", md5Hex("x")[:31] + "g"} {
		_, err := h.Hash(context.Background(), pw)
		if !errors.Is(err, ErrPasswordFormat) {
			t.Errorf("Hash(%q): %v, want ErrPasswordFormat", pw, err)
		}
	}
}

func TestValidMD5Hex(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"e47faedcccab34f2f91ddba207dad5f8", true},
		{"E47FAEDCCCAB34F2F91DDBA207DAD5F8", true},
		{"", false},
		{"e47faedcccab34f2f91ddba207dad5f", false},
		{"e47faedcccab34f2f91ddba207dad5f80", false},
		{"e47faedcccab34f2f91ddba207dad5fg", false},
		{"e47faedcccab34f2f91ddba207dad5f ", false},
		{"plaintext password of 32 chars!!", false},
		{"é7faedcccab34f2f91ddba207dad5f8", false},
	}
	for _, tt := range tests {
		if got := ValidMD5Hex(tt.in); got != tt.want {
			t.Errorf("ValidMD5Hex(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// Stored hashes are verified with the parameters they carry, so raising the
// production parameters later keeps old hashes working.
func TestPasswordVerifyUsesStoredParams(t *testing.T) {
	ctx := context.Background()
	pw := md5Hex("pw")
	cheap, err := NewPasswordHasherParams(1, 64, 1).Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cheap, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("encoded = %q", cheap)
	}
	ok, err := NewPasswordHasherParams(1, 128, 2).Verify(ctx, cheap, pw)
	if err != nil || !ok {
		t.Fatalf("Verify with other current params = %v, %v; want true", ok, err)
	}
}

func TestPasswordVerifyMalformed(t *testing.T) {
	ctx := context.Background()
	pw := md5Hex("pw")
	good, err := NewPasswordHasherParams(1, 64, 1).Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=64,t=1,p=1, salt, hash
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := map[string]string{
		"garbage":          "not a hash",
		"bcrypt":           "$2a$11$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
		"argon2i":          with(1, "argon2i"),
		"version 16":       with(2, "v=16"),
		"version missing":  with(2, ""),
		"params garbled":   with(3, "m=64,t=1"),
		"params padded":    with(3, "m=064,t=1,p=1"),
		"memory huge":      with(3, "m=4294967295,t=1,p=1"),
		"time zero":        with(3, "m=64,t=0,p=1"),
		"time huge":        with(3, "m=64,t=1000000,p=1"),
		"threads zero":     with(3, "m=64,t=1,p=0"),
		"salt not base64":  with(4, "!!!!"),
		"salt too short":   with(4, "YWJj"),
		"hash not base64":  with(5, "%%%"),
		"hash empty":       with(5, ""),
		"padded base64":    with(5, parts[5]+"="),
		"extra section":    good + "$x",
		"missing sections": "$argon2id$v=19$m=64,t=1,p=1",
	}
	for name, encoded := range tests {
		t.Run(name, func(t *testing.T) {
			ok, err := NewPasswordHasherParams(1, 64, 1).Verify(ctx, encoded, pw)
			if err == nil || ok {
				t.Fatalf("Verify(%q) = %v, %v; want an error", encoded, ok, err)
			}
			if errors.Is(err, services.ErrBusy) || errors.Is(err, services.ErrUnavailable) || errors.Is(err, ErrPasswordFormat) {
				t.Fatalf("a corrupt stored hash is an internal error, got %v", err)
			}
		})
	}
	// The control: the unmodified hash verifies.
	if ok, err := NewPasswordHasherParams(1, 64, 1).Verify(ctx, good, pw); err != nil || !ok {
		t.Fatalf("control: %v, %v", ok, err)
	}
}

func TestPasswordConcurrencyBound(t *testing.T) {
	const limit, workers = 3, 24
	h := NewPasswordHasherParams(limit, 64, 1)
	var inFlight, peak atomic.Int32
	full := make(chan struct{})
	var fullOnce sync.Once
	h.inHash = func() {
		n := inFlight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		// Hold the first slots until all of them are taken, so the peak
		// reaches the limit; then linger, so that an unbounded hasher lets
		// the other workers pile up on top.
		if n >= limit {
			fullOnce.Do(func() { close(full) })
		}
		<-full
		for range 100 {
			runtime.Gosched()
		}
		inFlight.Add(-1)
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i := range workers {
		wg.Go(func() {
			if i%2 == 0 {
				_, errs[i] = h.Hash(context.Background(), md5Hex("pw"))
			} else {
				_, errs[i] = h.Verify(context.Background(), "", md5Hex("pw"))
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := peak.Load(); got != limit {
		t.Fatalf("peak concurrent hashes = %d, want exactly the limit %d", got, limit)
	}
}

// TestPasswordDefaultConcurrency: hash_concurrency 0 gives half the CPUs,
// at least one (docs/security.md: a flood must leave CPUs to other requests).
func TestPasswordDefaultConcurrency(t *testing.T) {
	want := max(1, runtime.NumCPU()/2)
	if got := DefaultHashConcurrency(); got != want {
		t.Fatalf("DefaultHashConcurrency() = %d, want %d on %d CPUs", got, want, runtime.NumCPU())
	}
	for _, n := range []int{0, -1} {
		if got := cap(NewPasswordHasher(n).sem); got != want {
			t.Fatalf("NewPasswordHasher(%d) has %d slots, want %d", n, got, want)
		}
	}
	if got := cap(NewPasswordHasher(3).sem); got != 3 {
		t.Fatalf("NewPasswordHasher(3) has %d slots", got)
	}
}

func TestPasswordContextCancelledWhileWaiting(t *testing.T) {
	h := NewPasswordHasherParams(1, 64, 1)
	entered, release := make(chan struct{}), make(chan struct{})
	h.inHash = func() {
		entered <- struct{}{}
		<-release
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), md5Hex("pw"))
		done <- err
	}()
	<-entered // the only slot is taken

	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan error, 2)
	go func() {
		_, err := h.Hash(ctx, md5Hex("pw"))
		waiting <- err
	}()
	go func() {
		_, err := h.Verify(ctx, "", md5Hex("pw"))
		waiting <- err
	}()
	cancel()
	for range 2 {
		err := <-waiting
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if !errors.Is(err, services.ErrBusy) {
			t.Fatalf("err = %v, want ErrBusy", err)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func BenchmarkPasswordVerify(b *testing.B) {
	ctx := context.Background()
	h := NewPasswordHasher(0)
	encoded, err := h.Hash(ctx, md5Hex("pw"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := h.Verify(ctx, encoded, md5Hex("pw")); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
