package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

func TestOutboxLatestAndList(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Outbox

	if _, err := s.Latest(ctx, "nobody@example.com"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("Latest on empty outbox: %v, want ErrNotFound", err)
	}
	if got, err := s.List(ctx, "nobody@example.com", 10); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("List on empty outbox: %v, %v; want empty non-nil slice", got, err)
	}

	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	add := []models.OutboxMessage{
		{To: "bob@example.com", Subject: "first", Text: "t1", HTML: "<p>1</p>", CreatedAt: t0},
		{To: "alice@example.com", Subject: "other", Text: "x", CreatedAt: t0.Add(time.Minute)},
		{To: "Bob@Example.com", Subject: "second", Text: "t2", CreatedAt: t0.Add(2 * time.Minute)},
		// Same instant as "second": insertion order breaks the tie.
		{To: "bob@example.com", Subject: "third", Text: "t3", CreatedAt: t0.Add(2 * time.Minute)},
	}
	for _, m := range add {
		if err := s.Add(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	latest, err := s.Latest(ctx, "BOB@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if latest.Subject != "third" || latest.Text != "t3" || latest.ID.IsZero() || !latest.CreatedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("Latest = %+v", latest)
	}

	tests := []struct {
		name  string
		to    string
		limit int
		want  []string
	}{
		{"all newest first", "bob@example.com", 0, []string{"third", "second", "first"}},
		{"limited", "bob@example.com", 2, []string{"third", "second"}},
		{"other address", "alice@example.com", 10, []string{"other"}},
		{"unknown address", "carol@example.com", 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.List(ctx, tt.to, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d messages, want %d", len(got), len(tt.want))
			}
			for i, m := range got {
				if m.Subject != tt.want[i] {
					t.Errorf("message %d subject %q, want %q", i, m.Subject, tt.want[i])
				}
			}
		})
	}

	first, err := s.List(ctx, "bob@example.com", 0)
	if err != nil {
		t.Fatal(err)
	}
	if m := first[2]; m.HTML != "<p>1</p>" || m.To != "bob@example.com" {
		t.Fatalf("stored fields changed: %+v", m)
	}
}
