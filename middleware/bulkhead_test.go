package middleware

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
)

// TestBulkhead: with one slot and room for one waiter, a second request
// waits for the first and then runs, a third is shed with 503 and
// Retry-After at once, and a waiter whose client goes away never runs.
func TestBulkhead(t *testing.T) {
	b := NewBulkhead(1, 1, 0)
	waiting := make(chan struct{}, 2)
	b.onWait = func() { waiting <- struct{}{} }
	r := response.Renderer{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Policy: response.StatusMirror}
	entered := make(chan string, 3)
	release := make(chan struct{})
	e := gin.New()
	e.Use(r.Errors())
	e.GET("/slow", b.Handler(r, nil), func(c *gin.Context) {
		entered <- c.Query("n")
		<-release
		response.OK(c, nil)
	})
	serve := func(ctx context.Context, n string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/slow?n="+n, nil).WithContext(ctx))
		return w
	}
	ctx := context.Background()

	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- serve(ctx, "1") }()
	if got := <-entered; got != "1" {
		t.Fatalf("entered %q", got)
	}
	second := make(chan *httptest.ResponseRecorder)
	go func() { second <- serve(ctx, "2") }()
	<-waiting
	if b.Waiting() != 1 {
		t.Fatalf("waiting = %d", b.Waiting())
	}

	w := serve(ctx, "3")
	var env response.Envelope
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || w.Code != 503 || env.Code != 503 ||
		env.Msg != "server is busy; try again later" || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("shed: %d %s Retry-After %q", w.Code, w.Body, w.Header().Get("Retry-After"))
	}

	release <- struct{}{}
	if w := <-first; w.Code != 200 {
		t.Fatalf("first: %d %s", w.Code, w.Body)
	}
	if got := <-entered; got != "2" {
		t.Fatalf("entered %q, want the waiter", got)
	}
	if b.Waiting() != 0 {
		t.Fatalf("waiting = %d after the waiter ran", b.Waiting())
	}

	// The slot is held by the second request: a waiter whose client gives
	// up leaves without running.
	gone, cancel := context.WithCancel(ctx)
	third := make(chan *httptest.ResponseRecorder)
	go func() { third <- serve(gone, "4") }()
	<-waiting
	cancel()
	if w := <-third; w.Code != 503 {
		t.Fatalf("abandoned waiter: %d %s", w.Code, w.Body)
	}
	if b.Waiting() != 0 {
		t.Fatalf("waiting = %d after the waiter left", b.Waiting())
	}
	release <- struct{}{}
	if w := <-second; w.Code != 200 {
		t.Fatalf("second: %d %s", w.Code, w.Body)
	}
	select {
	case n := <-entered:
		t.Fatalf("request %s ran", n)
	default:
	}
}

// heldSlot serves GET / behind b: "/?hold=1" takes the slot and keeps it
// until release is called (which returns that request's status); other
// requests answer 204 at once, after sending on ran. It returns once the
// slot is held.
func heldSlot(t *testing.T, b *Bulkhead) (e *gin.Engine, ran chan struct{}, release func() int) {
	t.Helper()
	r := response.Renderer{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Policy: response.StatusMirror}
	e = gin.New()
	hold := make(chan struct{})
	in := make(chan struct{})
	ran = make(chan struct{}, 8)
	e.GET("/", b.Handler(r, nil), func(c *gin.Context) {
		if c.Query("hold") != "" {
			in <- struct{}{}
			<-hold
		} else {
			ran <- struct{}{}
		}
		c.Status(http.StatusNoContent)
	})
	done := make(chan int)
	go func() {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?hold=1", nil))
		done <- w.Code
	}()
	<-in
	return e, ran, func() int { close(hold); return <-done }
}

// TestBulkheadNoQueue: with no room to wait, a request finding every slot
// taken is shed at once.
func TestBulkheadNoQueue(t *testing.T) {
	e, _, release := heldSlot(t, NewBulkhead(1, 0, 0))
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != 503 {
		t.Fatalf("with the slot taken: %d", w.Code)
	}
	if code := release(); code != http.StatusNoContent {
		t.Fatalf("holder: %d", code)
	}
	w = httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != http.StatusNoContent {
		t.Fatalf("with the slot free: %d", w.Code)
	}
}

// TestBulkheadMaxWait: a waiter is shed with 503 once it has waited
// maxWait, and the handler never runs for it.
func TestBulkheadMaxWait(t *testing.T) {
	b := NewBulkhead(1, 1, 20*time.Millisecond)
	e, ran, release := heldSlot(t, b)
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil)) // returns once maxWait has passed
	if w.Code != 503 || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("waiter past maxWait: %d %s", w.Code, w.Body)
	}
	if b.Waiting() != 0 {
		t.Fatalf("waiting = %d after the waiter gave up", b.Waiting())
	}
	if code := release(); code != http.StatusNoContent {
		t.Fatalf("holder: %d", code)
	}
	select {
	case <-ran:
		t.Fatal("the shed waiter's handler ran")
	default:
	}
}

// TestBulkheadPriority: with the one slot taken, a priority request that
// comes after two normal ones runs before them, the normal ones then run
// in arrival order, and a full normal class does not shed a priority
// request (each class has its own room to wait).
func TestBulkheadPriority(t *testing.T) {
	b := NewBulkhead(1, 2, 0)
	waiting := make(chan struct{}, 4)
	b.onWait = func() { waiting <- struct{}{} }
	r := response.Renderer{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Policy: response.StatusMirror}
	order := make(chan string, 4)
	hold, held := make(chan struct{}), make(chan struct{})
	e := gin.New()
	e.Use(r.Errors())
	priority := func(c *gin.Context) bool { return c.Query("captcha") != "" }
	e.GET("/", b.Handler(r, priority), func(c *gin.Context) {
		if c.Query("hold") != "" {
			held <- struct{}{}
			<-hold
		} else {
			order <- c.Query("n")
		}
		c.Status(http.StatusNoContent)
	})
	serve := func(query string) chan int {
		done := make(chan int, 1)
		go func() {
			w := httptest.NewRecorder()
			e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?"+query, nil))
			done <- w.Code
		}()
		return done
	}

	holder := serve("hold=1")
	<-held
	var answers []chan int
	for _, q := range []string{"n=normal1", "n=normal2", "n=priority&captcha=x"} {
		answers = append(answers, serve(q))
		<-waiting
	}
	// The normal class is full (2 waiting): another normal request is
	// shed, a priority one still waits.
	if code := <-serve("n=normal3"); code != 503 {
		t.Fatalf("normal request with its class full: %d", code)
	}
	answers = append(answers, serve("n=priority2&captcha=y"))
	<-waiting
	if n := b.Waiting(); n != 4 {
		t.Fatalf("waiting = %d", n)
	}

	close(hold)
	if code := <-holder; code != http.StatusNoContent {
		t.Fatalf("holder: %d", code)
	}
	var got []string
	for range 4 {
		got = append(got, <-order)
	}
	want := []string{"priority", "priority2", "normal1", "normal2"}
	if !slices.Equal(got, want) {
		t.Fatalf("admitted %v, want %v", got, want)
	}
	for i, a := range answers {
		if code := <-a; code != http.StatusNoContent {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	if n := b.Waiting(); n != 0 {
		t.Fatalf("waiting = %d at the end", n)
	}
}

// TestBulkheadConcurrent: many requests of both classes racing for two
// slots, some giving up while they wait, never run more than two at once,
// and every slot comes back (a last request finds one free).
func TestBulkheadConcurrent(t *testing.T) {
	b := NewBulkhead(2, 100, 0)
	r := response.Renderer{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Policy: response.StatusMirror}
	var running, most atomic.Int32
	e := gin.New()
	e.Use(r.Errors())
	e.GET("/", b.Handler(r, func(c *gin.Context) bool { return c.Query("p") != "" }), func(c *gin.Context) {
		n := running.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		running.Add(-1)
		c.Status(http.StatusNoContent)
	})
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			ctx := context.Background()
			if i%5 == 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Duration(i%3)*time.Millisecond)
				defer cancel()
			}
			q := "/"
			if i%2 == 0 {
				q = "/?p=1"
			}
			e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, q, nil).WithContext(ctx))
		})
	}
	wg.Wait()
	if m := most.Load(); m > 2 || m < 1 {
		t.Fatalf("at most %d ran at once, want 1–2", m)
	}
	if n := b.Waiting(); n != 0 {
		t.Fatalf("waiting = %d", n)
	}
	b.mu.Lock()
	free := b.free
	b.mu.Unlock()
	if free != 2 {
		t.Fatalf("%d slots free at the end, want 2", free)
	}
}
