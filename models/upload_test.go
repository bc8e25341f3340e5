package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// TestUploadLifecycle: create, read by _id, a duplicate id refused, mark
// used, delete once.
func TestUploadLifecycle(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Uploads
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	u := models.Upload{ID: "d4m1a2b3c4d5e6f7g8h9", Owner: "u1", Dir: "article", Key: "article/d4m1a2b3c4d5e6f7g8h9.jpg",
		ThumbKey: "article/d4m1a2b3c4d5e6f7g8h9_640.jpg", Type: "image/jpeg", Width: 1920, Height: 1080,
		Bytes: 1000, ThumbBytes: 100, SHA256: "ab", State: models.UploadStaged, CreatedAt: at}
	if err := s.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, u); !errors.Is(err, models.ErrDuplicate) {
		t.Fatalf("second create: %v, want ErrDuplicate", err)
	}
	got, err := s.ByID(ctx, u.ID)
	if err != nil || got.Key != u.Key || got.StoredBytes() != 1100 || !got.CreatedAt.Equal(at) {
		t.Fatalf("ByID = %+v, %v", got, err)
	}
	used, err := s.MarkUsed(ctx, u.ID, at.Add(time.Hour))
	if err != nil || used.State != models.UploadUsed || used.UsedAt == nil || !used.UsedAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("MarkUsed = %+v, %v", used, err)
	}
	if _, err := s.MarkUsed(ctx, "nosuchupload00000000", at); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("MarkUsed of a missing upload: %v", err)
	}
	if err := s.Delete(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, u.ID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.ByID(ctx, u.ID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("ByID after delete: %v", err)
	}
}

// TestUploadStagedBefore: only staged uploads created before the cutoff,
// oldest first, at most limit.
func TestUploadStagedBefore(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Uploads
	t0 := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	for i, c := range []struct {
		id    string
		state string
		age   time.Duration
	}{
		{"old2", models.UploadStaged, 2 * time.Hour},
		{"old3", models.UploadStaged, 3 * time.Hour},
		{"oldused", models.UploadUsed, 5 * time.Hour},
		{"young", models.UploadStaged, 0},
		{"old4", models.UploadStaged, 4 * time.Hour},
	} {
		if err := s.Create(ctx, models.Upload{ID: c.id, Owner: "u", State: c.state, CreatedAt: t0.Add(-c.age)}); err != nil {
			t.Fatal(i, err)
		}
	}
	got, err := s.StagedBefore(ctx, t0.Add(-time.Hour), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "old4" || got[1].ID != "old3" {
		t.Fatalf("StagedBefore = %+v, want old4, old3", got)
	}
}

// TestMediaUsageAdd: usage starts at zero, adds up, goes down, and
// concurrent first uploads of one owner all count.
func TestMediaUsageAdd(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).MediaUsage
	if u, err := s.ByOwner(ctx, "nobody"); err != nil || u != (models.MediaUsage{Owner: "nobody"}) {
		t.Fatalf("ByOwner of a new owner = %+v, %v", u, err)
	}
	if _, err := s.Add(ctx, "a", 100, 1); err != nil {
		t.Fatal(err)
	}
	u, err := s.Add(ctx, "a", -40, -1)
	if err != nil || u.Bytes != 60 || u.Count != 0 {
		t.Fatalf("Add = %+v, %v; want 60 bytes, 0 uploads", u, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			if _, err := s.Add(ctx, "b", 10, 1); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Add: %v", err)
	}
	if u, err := s.ByOwner(ctx, "b"); err != nil || u.Count < 1 {
		t.Fatalf("ByOwner after concurrent adds = %+v, %v", u, err)
	}
}
