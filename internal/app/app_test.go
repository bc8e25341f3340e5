package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/services"
)

// TestReplayMode: every sign.replay value reaches the signer as the mode of
// the same meaning.
func TestReplayMode(t *testing.T) {
	for in, want := range map[config.ReplayMode]string{
		config.ReplayAll:      services.ReplayAll,
		config.ReplayMutating: services.ReplayMutating,
		config.ReplayOff:      services.ReplayOff,
	} {
		if got := replayMode(in); got != want {
			t.Errorf("replayMode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLimiterRate: a config rate becomes the limiter rate of the same count
// and period; no limit stays no limit.
func TestLimiterRate(t *testing.T) {
	for in, want := range map[config.Rate]limiter.Rate{
		{}:                                 {},
		{Count: 30, Period: time.Minute}:   {Limit: 30, Period: time.Minute},
		{Count: 5, Period: 24 * time.Hour}: {Limit: 5, Period: 24 * time.Hour},
		{Count: 1_000_000_000, Period: time.Second}: {Limit: 1_000_000_000, Period: time.Second},
	} {
		if got := limiterRate(in); got != want {
			t.Errorf("limiterRate(%+v) = %+v, want %+v", in, got, want)
		}
	}
}

// TestOpenDatabaseEmbedded: with no mongo.uri the database is the embedded
// FerretDB under data.dir/db, announced with a warning, ready for New.
func TestOpenDatabaseEmbedded(t *testing.T) {
	cfg := config.Default()
	cfg.Data.Dir = t.TempDir()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := OpenDatabase(ctx, cfg, logger, &bytes.Buffer{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if db.Name() != cfg.Mongo.Database || db.EmbeddedAddr() == "" {
		t.Errorf("opened %q at %q, want %q on the embedded server", db.Name(), db.EmbeddedAddr(), cfg.Mongo.Database)
	}
	if _, err := os.Stat(filepath.Join(cfg.Data.Dir, "db", cfg.Mongo.Database+".sqlite")); err != nil {
		t.Errorf("the database's file is not under data.dir/db: %v", err)
	}
	if !strings.Contains(logs.String(), "using the embedded FerretDB") || !strings.Contains(logs.String(), db.EmbeddedAddr()) {
		t.Errorf("no warning naming the embedded server's address:\n%s", logs.String())
	}
}
