package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// TestInspectFilters: the inspector sees the filter of each kind of
// command, statements of bulk updates and deletes included, and tells an
// exact {_id: v} from anything else.
func TestInspectFilters(t *testing.T) {
	ctx := context.Background()
	var (
		mu   sync.Mutex
		seen []models.CommandFilters
	)
	db := dbtest.Open(t, models.Options{Inspect: func(_ context.Context, c models.CommandFilters) {
		mu.Lock()
		defer mu.Unlock()
		if c.Collection == models.CollLoginAttempts && c.Command != "createIndexes" {
			seen = append(seen, c)
		}
	}})
	now := time.Now()
	if _, _, err := db.LoginAttempts.Fail(ctx, "k", now, time.Minute); err != nil { // findAndModify {_id}
		t.Fatal(err)
	}
	if err := db.LoginAttempts.Clear(ctx, "k", now, time.Minute, "j"); err != nil { // update, two statements {_id}
		t.Fatal(err)
	}
	if _, err := db.SweepExpired(ctx, now.Add(time.Hour)); err != nil { // delete {expiresAt: {$lte}}
		t.Fatal(err)
	}
	if _, err := dbtest.Collection(t, db, models.CollLoginAttempts).CountDocuments(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []struct {
		command string
		byID    []bool
	}{{"findAndModify", []bool{true}}, {"update", []bool{true, true}}, {"delete", []bool{false}}}
	if len(seen) != len(want) {
		t.Fatalf("saw %+v, want %d commands (the raw client is not inspected)", seen, len(want))
	}
	for i, w := range want {
		got := seen[i]
		if got.Command != w.command || len(got.Filters) != len(w.byID) {
			t.Fatalf("command %d: %+v, want %s with %d filters", i, got, w.command, len(w.byID))
		}
		for j, f := range got.Filters {
			if f.ByID != w.byID[j] {
				t.Errorf("%s filter %s: ByID %v, want %v", got.Command, f.JSON, f.ByID, w.byID[j])
			}
		}
	}
}
