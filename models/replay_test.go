package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

func TestReplayStoreRecord(t *testing.T) {
	ctx := context.Background()
	t0 := time.UnixMilli(1_700_000_000_000).UTC()
	now := t0
	db := dbtest.Open(t, models.Options{Now: func() time.Time { return now }})
	store := db.Replays
	window := 10 * time.Minute

	steps := []struct {
		name    string
		at      time.Time
		key     string
		wantErr error
	}{
		{"first use accepted", t0, "app:aa", nil},
		{"replay within the window", t0.Add(time.Second), "app:aa", models.ErrDuplicate},
		{"other token accepted", t0.Add(time.Second), "app:bb", nil},
		{"replay just before expiry", t0.Add(window - time.Millisecond), "app:aa", models.ErrDuplicate},
		{"expired record taken over at expiresAt", t0.Add(window), "app:aa", nil},
		{"taken-over record is live again", t0.Add(window + time.Second), "app:aa", models.ErrDuplicate},
	}
	for _, st := range steps {
		now = st.at
		err := store.Record(ctx, st.key, st.at.Add(window))
		if !errors.Is(err, st.wantErr) || (st.wantErr == nil && err != nil) {
			t.Fatalf("%s: Record = %v, want %v", st.name, err, st.wantErr)
		}
	}

	// app:bb expires at t0+1s+window, app:aa (taken over) at t0+2·window.
	// The embedded FerretDB has no TTL indexes: the sweep reclaims them.
	n, err := db.SweepExpired(ctx, t0.Add(window+time.Second))
	if err != nil || n != 1 {
		t.Fatalf("SweepExpired = %d, %v; want 1", n, err)
	}
	n, err = db.SweepExpired(ctx, t0.Add(window+time.Second))
	if err != nil || n != 0 {
		t.Fatalf("second SweepExpired = %d, %v; want 0", n, err)
	}
	now = t0.Add(window + 2*time.Second)
	if err := store.Record(ctx, "app:bb", now.Add(window)); err != nil {
		t.Fatalf("Record after sweep = %v", err)
	}
}
