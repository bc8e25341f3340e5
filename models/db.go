package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// The collections of the stores, one name each. Open creates every one of
// them on the embedded database (see indexEmbeddedIDs).
const (
	CollUsers            = "users"
	CollSessions         = "sessions"
	CollSessionRotations = "session_rotations"
	CollCaptchas         = "captchas"
	CollReplays          = "replays"
	CollLoginAttempts    = "login_attempts"
	CollRateLimits       = "ratelimits"
	CollEmailTokens      = "email_tokens"
	CollOutbox           = "outbox"
	CollArticles         = "articles"
	CollArticleBodies    = "article_bodies"
	CollSlugs            = "slugs"
	CollContentMeta      = "content_meta"
	CollLikes            = "likes"
	CollUserLikes        = "user_likes"
	CollCommentThreads   = "comment_threads"
	CollCommenters       = "commenters"
	CollTypes            = "types"
	CollCategories       = "categories"
	CollTags             = "tags"
	CollUploads          = "uploads"
	CollMediaUsage       = "media_usage"
	CollAliases          = "aliases"
	CollHealth           = "health"
	CollLeases           = "leases"
	CollAuditLog         = "audit_log"
	CollUserDeletions    = "user_deletions"
	CollDailyCounts      = "daily_counts"
	CollAdminSet         = "admin_set"
	CollBanners          = "banners"
	// CollAuthorSyncs: pending author copies (models/author_sync.go).
	CollAuthorSyncs = "author_syncs"
	// CollUserThreads: the threads each user wrote in or was answered in
	// (models/comment_author.go).
	CollUserThreads = "user_threads"
)

// collectionNames lists every collection the stores use.
func collectionNames() []string {
	return []string{CollUsers, CollSessions, CollSessionRotations, CollCaptchas, CollReplays,
		CollLoginAttempts, CollRateLimits, CollEmailTokens, CollOutbox,
		CollArticles, CollArticleBodies, CollSlugs, CollContentMeta, CollLikes, CollUserLikes,
		CollCommentThreads, CollCommenters, CollTypes, CollCategories, CollTags, CollUploads, CollMediaUsage,
		CollAliases, CollHealth, CollLeases, CollAuditLog, CollUserDeletions, CollDailyCounts, CollAdminSet, CollBanners,
		CollAuthorSyncs, CollUserThreads}
}

// Options say which database Open opens and how.
type Options struct {
	// URI is a mongodb:// or mongodb+srv:// address of a MongoDB server;
	// "" starts the embedded FerretDB under Dir instead.
	URI string
	// Dir holds the embedded FerretDB's SQLite files (created, mode 0700).
	Dir string
	// Listen is the embedded FerretDB's TCP address; "" is 127.0.0.1 on a
	// free port.
	Listen string
	// EngineLogger receives the embedded FerretDB's own logs (nil: none).
	// FerretDB logs whole wire messages below error level: give it a
	// logger at error level.
	EngineLogger *slog.Logger

	// Database is the database's name; required.
	Database string
	// OpTimeout bounds every database operation whose context has no
	// deadline of its own (0: 5 s): a database that hangs makes the
	// operation fail after it, so requests answer 503 instead of waiting.
	OpTimeout time.Duration
	// Observe, when not nil, receives every finished command of the
	// client (command latency for the metrics).
	Observe CommandObserver
	// Inspect, when not nil, receives the filters of every command the
	// client starts (tests that hold hot paths to {_id} filters).
	Inspect FilterInspector
	// Now is the stores' clock: replay and rate-limit expiry, the sweep
	// (nil: time.Now).
	Now func() time.Time
	// Logger receives the expiry sweep's failures (nil: none).
	Logger *slog.Logger
	// SweepInterval is how often expired documents are deleted where the
	// server has no TTL indexes (0: one minute).
	SweepInterval time.Duration
}

// DB is one opened database: its stores, and the client, the embedded
// server (when Open started it) and the expiry sweep behind them, which
// Close stops. The stores are safe for concurrent use; share them.
type DB struct {
	Users         *UserStore
	Sessions      *SessionStore
	Captchas      *CaptchaStore
	Replays       *ReplayStore
	LoginAttempts *LoginAttemptStore
	RateLimits    *RateLimitStore
	EmailTokens   *EmailTokenStore
	Outbox        *OutboxStore
	Articles      *ArticleStore
	Likes         *LikeStore
	Comments      *CommentStore
	Taxonomy      *TaxonomyStore
	Uploads       *UploadStore
	MediaUsage    *MediaUsageStore
	Leases        *LeaseStore
	Audit         *AuditStore
	DailyCounts   *DailyCountStore
	AdminSet      *AdminSetStore
	Banners       *BannerStore
	AuthorSyncs   *AuthorSyncStore

	srv      server
	embedded *embedded // started by Open: stopped by Close; nil otherwise
	client   *mongo.Client
	db       *database
	expiring *expiring
	stop     context.CancelFunc
	swept    chan struct{}
	close    sync.Once
}

// server is where a DB's client connects: a MongoDB URI, and for the
// embedded FerretDB the directory of its SQLite files.
type server struct {
	uri string
	dir string // "" for MongoDB
}

// Open opens o.Database: it connects to o.URI, or starts the embedded
// FerretDB under o.Dir when o.URI is empty; on the embedded server it
// creates every collection and indexes the expression FerretDB finds _id
// with (indexEmbeddedIDs; BENCHMARKS.md, "Findings"); it creates the
// stores' indexes, `expiresAt` TTL indexes where the server has them, and
// starts the sweep that deletes expired documents where it has not. Setup
// is bounded by ctx and at most 30 s. Errors: the embedded server's
// directory or start, the connection or ping, an index. Call Close when
// done.
func Open(ctx context.Context, o Options) (*DB, error) {
	if o.Database == "" {
		return nil, errors.New("open database: no database name")
	}
	if o.URI != "" {
		return open(ctx, server{uri: o.URI}, o)
	}
	e, err := startEmbedded(ctx, o.Dir, o.Listen, o.EngineLogger)
	if err != nil {
		return nil, err
	}
	d, err := open(ctx, server{uri: e.uri, dir: e.dir}, o)
	if err != nil {
		e.close()
		return nil, err
	}
	d.embedded = e
	return d, nil
}

// OpenDatabase is Open for another database, o.Database, on the server d
// runs or connects to, with a client of its own (observed by o.Observe):
// e.g. a fresh database per test on one embedded server. o.URI, o.Dir,
// o.Listen and o.EngineLogger must be empty: the server is d's. Close the
// new DB before d when d started the embedded server.
func (d *DB) OpenDatabase(ctx context.Context, o Options) (*DB, error) {
	if o.URI != "" || o.Dir != "" || o.Listen != "" || o.EngineLogger != nil {
		return nil, errors.New("open database: the server is the first database's; leave URI, Dir, Listen and EngineLogger empty")
	}
	if o.Database == "" {
		return nil, errors.New("open database: no database name")
	}
	return open(ctx, d.srv, o)
}

// open connects a client to srv and readies o.Database on it.
func open(ctx context.Context, srv server, o Options) (*DB, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client, err := connect(ctx, srv.uri, o.OpTimeout, o.Observe, o.Inspect)
	if err != nil {
		return nil, err
	}
	db := &database{Database: client.Database(o.Database)}
	if srv.dir != "" {
		db.gate = make(writeGate, 1)
	}
	d, err := prepare(ctx, db, srv, o)
	if err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, err
	}
	d.srv, d.client = srv, client
	return d, nil
}

// prepare builds the stores over db and creates what they need.
func prepare(ctx context.Context, db *database, srv server, o Options) (*DB, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	replays := newReplayStore(db)
	replays.Now = now
	d := &DB{
		Users:         newUserStore(db, now),
		Sessions:      newSessionStore(db),
		Captchas:      newCaptchaStore(db),
		Replays:       replays,
		LoginAttempts: newLoginAttemptStore(db),
		RateLimits:    newRateLimitStore(db, now),
		EmailTokens:   newEmailTokenStore(db),
		Outbox:        newOutboxStore(db),
		Articles:      newArticleStore(db, srv.dir != ""),
		Likes:         newLikeStore(db),
		Comments:      newCommentStore(db),
		Taxonomy:      newTaxonomyStore(db, srv.dir != ""),
		Uploads:       newUploadStore(db),
		MediaUsage:    newMediaUsageStore(db),
		Leases:        newLeaseStore(db, now),
		Audit:         newAuditStore(db),
		DailyCounts:   newDailyCountStore(db),
		AdminSet:      newAdminSetStore(db),
		Banners:       newBannerStore(db, srv.dir != ""),
		AuthorSyncs:   newAuthorSyncStore(db),
		db:            db,
	}
	d.Users.leases, d.Users.deletions = d.Leases, db.Collection(CollUserDeletions)
	for _, ensure := range []func(context.Context) error{
		d.Users.ensureIndexes, d.Sessions.ensureIndexes, d.EmailTokens.ensureIndexes, d.Outbox.ensureIndexes,
		d.Articles.ensureIndexes, d.Taxonomy.ensureDefaults, d.Uploads.ensureIndexes, d.Audit.ensureIndexes,
	} {
		if err := ensure(ctx); err != nil {
			return nil, err
		}
	}
	// Every document of these collections carries expiresAt.
	exp, err := ensureExpiry(ctx, logger, db.Collection(CollCaptchas), db.Collection(CollReplays),
		db.Collection(CollLoginAttempts), db.Collection(CollRateLimits), db.Collection(CollEmailTokens),
		db.Collection(CollSessions), db.Collection(CollSessionRotations), db.Collection(CollLeases),
		db.Collection(CollDailyCounts))
	if err != nil {
		return nil, err
	}
	exp.also = append(exp.also, d.Users.ReleaseDue, d.DailyCounts.Flush)
	d.expiring = exp
	// After the indexes, which created most collections on the way.
	if srv.dir != "" {
		if err := indexEmbeddedIDs(ctx, db, srv.dir, collectionNames()); err != nil {
			return nil, err
		}
	}
	interval := o.SweepInterval
	if interval <= 0 {
		interval = time.Minute
	}
	sweepCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	d.stop, d.swept = stop, make(chan struct{})
	go func() {
		defer close(d.swept)
		exp.run(sweepCtx, interval, now)
	}()
	return d, nil
}

// Name is the database's name (Options.Database).
func (d *DB) Name() string { return d.db.Name() }

// EmbeddedAddr is the host:port of the embedded FerretDB d uses, or "" on
// MongoDB: for the start-up log, and for tools that connect to it.
func (d *DB) EmbeddedAddr() string {
	if d.srv.dir == "" {
		return ""
	}
	return strings.TrimSuffix(strings.TrimPrefix(d.srv.uri, "mongodb://"), "/")
}

// Ping asks the server whether it answers (the primary, bounded by ctx):
// the readiness check.
func (d *DB) Ping(ctx context.Context) error {
	return d.client.Ping(ctx, readpref.Primary())
}

// Ready checks that the database takes writes, not only pings: it pings
// the primary, then upserts one document of the `health` collection
// (`{_id: "readyz"}`, by _id: constant cost). A full disk, a read-only
// replica set or a hung server fail it (bounded by ctx). The readiness
// check, GET /readyz.
func (d *DB) Ready(ctx context.Context) error {
	if err := d.Ping(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	_, err := d.db.Collection(CollHealth).UpdateOne(ctx, bson.D{{Key: "_id", Value: "readyz"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "at", Value: time.Now()}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// SweepExpired deletes the documents whose expiresAt is at or before now
// from the collections the server cannot expire itself (no TTL indexes),
// and returns how many: what the background sweep does every
// Options.SweepInterval.
func (d *DB) SweepExpired(ctx context.Context, now time.Time) (int64, error) {
	return d.expiring.sweepOnce(ctx, now)
}

// Drop deletes the database with every document in it (tests drop their
// own).
func (d *DB) Drop(ctx context.Context) error {
	if err := d.db.Drop(ctx); err != nil {
		return fmt.Errorf("drop database %s: %w", d.db.Name(), err)
	}
	return nil
}

// Close stops the expiry sweep, writes the pending daily counts
// (DailyCountStore.Flush), disconnects the client (waiting at most
// 5 s for commands in flight) and stops the embedded server when Open
// started it. The stores fail afterwards as over a database that is down.
// Safe to call more than once.
func (d *DB) Close() {
	d.close.Do(func() {
		d.stop()
		<-d.swept
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = d.DailyCounts.Flush(ctx, time.Time{})
		_ = d.client.Disconnect(ctx)
		if d.embedded != nil {
			d.embedded.close()
		}
	})
}

// connect opens a client on uri and pings it (bounded by ctx). The client
// counts every command it starts in the CommandCounter of the command's
// context (WithCommandCounter) and, when observe is not nil, reports every
// finished command to it.
func connect(ctx context.Context, uri string, opTimeout time.Duration, observe CommandObserver, inspect FilterInspector) (*mongo.Client, error) {
	if opTimeout <= 0 {
		opTimeout = 5 * time.Second
	}
	// The operation timeout also bounds server selection, so an
	// unreachable server fails as fast as a hung one.
	client, err := mongo.Connect(options.Client().ApplyURI(uri).
		SetTimeout(opTimeout).
		SetServerSelectionTimeout(min(10*time.Second, opTimeout)).
		SetMonitor(commandMonitor(observe, inspect)))
	if err != nil {
		return nil, fmt.Errorf("connect to mongodb: %w", err)
	}
	if err := client.Ping(ctx, readpref.Primary()); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("ping mongodb: %w", err)
	}
	return client, nil
}

// CommandObserver receives each database command a DB's client finished:
// ctx is the context the command ran with, command the command's name as
// the driver reports it ("find", "insert", "findAndModify", "update",
// "delete"…), ok whether the server answered it without error, elapsed the
// round trip. It never sees the command's documents or filters. It is
// called on the caller's goroutine and must be quick.
type CommandObserver func(ctx context.Context, command string, ok bool, elapsed time.Duration)

// CommandCounter counts the database commands started with one context:
// one request's (see WithCommandCounter). Safe for concurrent use.
type CommandCounter struct{ n atomic.Int64 }

type commandCounterKey struct{}

// WithCommandCounter returns ctx carrying a new CommandCounter: every
// command a DB's client starts with ctx, or a context derived from it,
// adds one (the round trips of a request, README "Database round trips per
// request").
func WithCommandCounter(ctx context.Context) (context.Context, *CommandCounter) {
	c := new(CommandCounter)
	return context.WithValue(ctx, commandCounterKey{}, c), c
}

// CommandCounterFrom returns the counter WithCommandCounter put in ctx, or
// nil.
func CommandCounterFrom(ctx context.Context) *CommandCounter {
	c, _ := ctx.Value(commandCounterKey{}).(*CommandCounter)
	return c
}

// Count is the number of commands started so far.
func (c *CommandCounter) Count() int { return int(c.n.Load()) }

// commandMonitor counts started commands in their context's counter and
// reports finished ones to observe (nil: none). The driver reports
// application commands only: its heartbeats and connection handshakes are
// not commands here.
func commandMonitor(observe CommandObserver, inspect FilterInspector) *event.CommandMonitor {
	m := &event.CommandMonitor{
		Started: func(ctx context.Context, e *event.CommandStartedEvent) {
			if c := CommandCounterFrom(ctx); c != nil {
				c.n.Add(1)
			}
			if inspect != nil {
				inspect(ctx, commandFilters(e.CommandName, e.Command))
			}
		},
	}
	if observe != nil {
		m.Succeeded = func(ctx context.Context, e *event.CommandSucceededEvent) {
			observe(ctx, e.CommandName, true, e.Duration)
		}
		m.Failed = func(ctx context.Context, e *event.CommandFailedEvent) {
			observe(ctx, e.CommandName, false, e.Duration)
		}
	}
	return m
}

// Sentinel errors the stores return instead of driver errors.
var (
	ErrNotFound         = errors.New("not found")
	ErrDuplicateAccount = errors.New("account already registered")
	ErrDuplicateEmail   = errors.New("email already registered")
	ErrDuplicate        = errors.New("duplicate key")
)

// findOne decodes the document filter matches in coll; ErrNotFound when
// there is none.
func findOne[T any](ctx context.Context, coll *collection, filter bson.D) (T, error) {
	var v T
	err := coll.FindOne(ctx, filter).Decode(&v)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return v, ErrNotFound
	}
	if err != nil {
		var zero T
		return zero, fmt.Errorf("find in %s: %w", coll.Name(), err)
	}
	return v, nil
}
