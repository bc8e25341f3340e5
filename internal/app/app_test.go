package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/signing"
)

// TestReplayMode: every sign.replay value reaches the signer as the mode of
// the same meaning.
func TestReplayMode(t *testing.T) {
	for in, want := range map[config.ReplayMode]string{
		config.ReplayAll:      signing.ReplayAll,
		config.ReplayMutating: signing.ReplayMutating,
		config.ReplayOff:      signing.ReplayOff,
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

// TestReplayStore: the database's replay records as the signer takes them:
// a key recorded once, then signing.ErrReplayed until it expires; a database
// that is down is another error.
func TestReplayStore(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_700_000_000_000)
	db := dbtest.New(t)
	db.Replays.Now = func() time.Time { return now }
	store := ReplayStore(db.Replays)
	if err := store.Record(ctx, "k:t", now.Add(time.Minute)); err != nil {
		t.Fatalf("first record: %v", err)
	}
	if err := store.Record(ctx, "k:t", now.Add(time.Minute)); !errors.Is(err, signing.ErrReplayed) {
		t.Fatalf("second record: %v, want ErrReplayed", err)
	}
	down := dbtest.New(t)
	down.Close()
	if err := ReplayStore(down.Replays).Record(ctx, "k:t", now.Add(time.Minute)); !errors.Is(err, services.ErrUnavailable) {
		t.Fatalf("database down: %v", err)
	}
}

// TestMediaConfig: keys are served under media.public_url, or GET
// /media/<key> of server.public_url; 0 processing slots means half the
// CPUs.
func TestMediaConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Server.PublicURL = "https://blog.example.com"
	if got := MediaConfig(cfg); got.BaseURL != "https://blog.example.com/media" || got.Slots != auth.DefaultHashConcurrency() ||
		got.MaxBytes != 5<<20 || got.AvatarMaxBytes != 2<<20 || got.StagedTTL != 24*time.Hour || got.Queue != 16 {
		t.Errorf("MediaConfig(defaults) = %+v", got)
	}
	cfg.Media.PublicURL, cfg.Media.ProcessConcurrency = "https://cdn.example.com/m", 3
	if got := MediaConfig(cfg); got.BaseURL != "https://cdn.example.com/m" || got.Slots != 3 {
		t.Errorf("MediaConfig(cdn, 3 slots) = %+v", got)
	}
}

// TestMediaStorage: the local driver keeps its files under data.dir/media;
// the s3 driver refuses to start when its bucket cannot be reached.
func TestMediaStorage(t *testing.T) {
	cfg := config.Default()
	cfg.Data.Dir = t.TempDir()
	s, closeStorage, err := MediaStorage(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStorage()
	if err := s.Put(context.Background(), "avatar/cnv0h0ud0000000000a0.png", []byte("x"), "image/png"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Data.Dir, "media", "avatar", "cnv0h0ud0000000000a0.png")); err != nil {
		t.Fatalf("not under data.dir/media: %v", err)
	}
	cfg.Media.Driver = config.MediaS3
	cfg.Media.S3 = config.S3{Endpoint: "http://127.0.0.1:1", Bucket: "b", Region: "us-east-1", AccessKey: "a", SecretKey: "s", PathStyle: true}
	if _, _, err := MediaStorage(context.Background(), cfg); err == nil {
		t.Fatal("an unreachable s3 endpoint was accepted")
	}
}
