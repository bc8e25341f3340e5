package models_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// TestCaptchaTakeOnce: of many concurrent takes of one captcha, exactly
// one gets it (docs/security.md single use), on the embedded FerretDB too.
func TestCaptchaTakeOnce(t *testing.T) {
	store := dbtest.New(t).Captchas
	ctx := context.Background()
	for round := 0; round < 5; round++ {
		if err := store.Put(ctx, models.Captcha{ID: "c1", Answer: "ab12", ExpiresAt: time.Now().Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		var wins, misses atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := store.Take(ctx, "c1")
				switch {
				case err == nil && c.Answer == "ab12":
					wins.Add(1)
				case errors.Is(err, models.ErrNotFound):
					misses.Add(1)
				default:
					t.Errorf("take: %+v %v", c, err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || misses.Load() != 19 {
			t.Fatalf("round %d: %d wins, %d misses; want 1 and 19", round, wins.Load(), misses.Load())
		}
	}
	if _, err := store.Take(ctx, "missing"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("take missing: %v", err)
	}
}

func TestEmailTokenTakeOnceAndExpiry(t *testing.T) {
	store := dbtest.New(t).EmailTokens
	ctx := context.Background()
	now := time.Now()
	tok := models.EmailToken{ID: "h1", Kind: models.TokenPasswordReset, UserID: "u1", Email: "a@example.com", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	if err := store.Create(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Take(ctx, "h1", models.TokenEmailVerify, now); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("wrong kind taken: %v", err)
	}
	if _, err := store.Peek(ctx, "h1", models.TokenPasswordReset, now.Add(time.Minute)); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("expired token visible: %v", err)
	}
	got, err := store.Take(ctx, "h1", models.TokenPasswordReset, now)
	if err != nil || got.UserID != "u1" {
		t.Fatalf("take: %+v %v", got, err)
	}
	if _, err := store.Take(ctx, "h1", models.TokenPasswordReset, now); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("second take: %v", err)
	}
}
