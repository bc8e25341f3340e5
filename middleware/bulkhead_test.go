package middleware

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
	e.GET("/slow", b.Handler(r), func(c *gin.Context) {
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
	if b.waiting.Load() != 1 {
		t.Fatalf("waiting = %d", b.waiting.Load())
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
	if b.waiting.Load() != 0 {
		t.Fatalf("waiting = %d after the waiter ran", b.waiting.Load())
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
	if b.waiting.Load() != 0 {
		t.Fatalf("waiting = %d after the waiter left", b.waiting.Load())
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
	e.GET("/", b.Handler(r), func(c *gin.Context) {
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
	if b.waiting.Load() != 0 {
		t.Fatalf("waiting = %d after the waiter gave up", b.waiting.Load())
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
