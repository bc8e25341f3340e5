package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Article statuses (the original's `status` values).
const (
	ArticleDraft   = "draft"
	ArticleOnline  = "online"
	ArticleDeleted = "delete"
)

// ErrConflict is an update that lost a race with another update of the
// same document (MongoDB's `{_id, version}` filter matched nothing).
var ErrConflict = errors.New("concurrent update")

// ArticleAuthor is the author as an article shows it (copied on publish).
type ArticleAuthor struct {
	ID    string `bson:"id"`
	Nick  string `bson:"nick"`
	Cover string `bson:"cover"`
	Type  string `bson:"type"`
	Level int    `bson:"level"`
}

// ArticleSEO are the article's own search-engine fields.
type ArticleSEO struct {
	Title       string `bson:"title"`
	Keywords    string `bson:"keywords"`
	Description string `bson:"description"`
}

// Article is a document of `articles`: what lists show, without the body
// (docs/blog.md, "Data model"). Times are ms since the Unix epoch.
type Article struct {
	ID       string        `bson:"_id"`
	Slug     string        `bson:"slug"`
	Title    string        `bson:"title"`
	Summary  string        `bson:"summary"`
	Cover    string        `bson:"cover"`
	Type     string        `bson:"type"`
	TypeURL  string        `bson:"typeUrl"`
	Category string        `bson:"category"`
	Tags     []string      `bson:"tags"`
	SEO      ArticleSEO    `bson:"seo"`
	AuthorID string        `bson:"authorId"`
	Author   ArticleAuthor `bson:"author"`
	Status   string        `bson:"status"`
	Private  bool          `bson:"isPrivate"`
	// PublishedAt is when the article is (or was, or will be) public; 0
	// while it has never been put online.
	PublishedAt int64 `bson:"publishedAt"`
	Created     int64 `bson:"created"`
	// Revised is the last edit (0: never edited).
	Revised   int64 `bson:"revised"`
	DeletedAt int64 `bson:"deletedAt"`
	Read      int64 `bson:"read"`
	Praise    int64 `bson:"praise"`
	Review    int64 `bson:"review"`
	Toped     bool  `bson:"toped"`
	Hotted    bool  `bson:"hotted"`
	// Weight is the admin's recommendation weight (docs/blog.md,
	// "Reads"): higher first, after toped; 0 unless an admin set it.
	Weight int `bson:"weight"`
	// PurgedAt marks an article an admin is deleting for good (ms; 0:
	// not): it is deleted, cannot be restored, and a retry of the purge
	// finishes it (docs/admin.md, "Articles").
	PurgedAt int64 `bson:"purgedAt,omitempty"`
	// Version counts the writes of the article (optimistic concurrency).
	Version int64 `bson:"version"`
}

// ArticleBody is a document of `article_bodies`, keyed by the article's
// id: the sanitised HTML served as `content`, its plain text (search,
// summaries) and the Markdown it was rendered from, if any.
type ArticleBody struct {
	ID       string `bson:"_id"`
	HTML     string `bson:"html"`
	Plain    string `bson:"plain"`
	Markdown string `bson:"markdown,omitempty"`
}

// ArticleChanges is the change counter of the articles (`content_meta`,
// `_id: "articles"`): Seq grows by one per article write, Recent holds the
// ids written last (at most RecentChanges, oldest first).
type ArticleChanges struct {
	Seq    int64    `bson:"seq"`
	Recent []string `bson:"recent"`
}

// RecentChanges is how many article ids ArticleChanges.Recent keeps.
const RecentChanges = 128

// ArticleCounters are increments of an article's counters.
type ArticleCounters struct{ Read, Praise, Review int64 }

// ArticleStore keeps articles, their bodies and slug aliases.
type ArticleStore struct {
	coll, bodies, slugs, meta *collection
	locks                     *keyLocks
	// meta serialises writes of the change counter; a mutex of its own, as
	// they happen while an article's stripe of locks is held.
	metaMu sync.Mutex
	// embedded: the server is the embedded FerretDB, whose filters other
	// than {_id} scan; the process lock alone serialises writes there.
	embedded bool
}

func newArticleStore(db *database, embedded bool) *ArticleStore {
	return &ArticleStore{
		coll: db.Collection(CollArticles), bodies: db.Collection(CollArticleBodies),
		slugs: db.Collection(CollSlugs), meta: db.Collection(CollContentMeta),
		locks: new(keyLocks), embedded: embedded,
	}
}

// ensureIndexes: slug unique; the catalogue's queries on MongoDB.
func (s *ArticleStore) ensureIndexes(ctx context.Context) error {
	return createIndexes(ctx, s.coll,
		mongo.IndexModel{Keys: bson.D{{Key: "slug", Value: 1}}, Options: options.Index().SetUnique(true).SetName("slug_unique")},
		mongo.IndexModel{Keys: bson.D{{Key: "status", Value: 1}, {Key: "publishedAt", Value: -1}}, Options: options.Index().SetName("status_publishedAt")},
		mongo.IndexModel{Keys: bson.D{{Key: "authorId", Value: 1}, {Key: "status", Value: 1}}, Options: options.Index().SetName("authorId_status")},
	)
}

// NewArticleID is a fresh article id (24 hex digits, like the original's).
func NewArticleID() string { return bson.NewObjectID().Hex() }

// maxSlugTries bounds the `-2`, `-3` … suffixes tried for one slug.
const maxSlugTries = 50

// reserveSlug claims base, or base-2, base-3 …, for article id in
// `slugs` and returns the slug claimed. A slug the article already owns
// counts as claimed.
func (s *ArticleStore) reserveSlug(ctx context.Context, base, id string) (string, error) {
	for i := 1; i <= maxSlugTries; i++ {
		slug := base
		if i > 1 {
			slug = base + "-" + strconv.Itoa(i)
		}
		_, err := s.slugs.InsertOne(ctx, bson.D{{Key: "_id", Value: slug}, {Key: "article", Value: id}})
		if err == nil {
			return slug, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return "", fmt.Errorf("reserve slug: %w", err)
		}
		var owner struct {
			Article string `bson:"article"`
		}
		if err := s.slugs.FindOne(ctx, bson.D{{Key: "_id", Value: slug}}).Decode(&owner); err == nil && owner.Article == id {
			return slug, nil
		}
	}
	return "", fmt.Errorf("reserve slug %q: %w", base, ErrDuplicate)
}

func (s *ArticleStore) releaseSlug(ctx context.Context, slug string) {
	_, _ = s.slugs.DeleteOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: slug}})
}

// Create stores a new article (a.ID set, a.Slug the base slug) with its
// body: it claims the slug (a.Slug becomes the one claimed), writes the
// body, then the article; on a failure it removes what it wrote.
func (s *ArticleStore) Create(ctx context.Context, a *Article, body ArticleBody) error {
	if a.ID == "" {
		a.ID = NewArticleID()
	}
	slug, err := s.reserveSlug(ctx, a.Slug, a.ID)
	if err != nil {
		return err
	}
	a.Slug, a.Version = slug, 1
	body.ID = a.ID
	if _, err := s.bodies.ReplaceOne(ctx, bson.D{{Key: "_id", Value: a.ID}}, body, options.Replace().SetUpsert(true)); err != nil {
		s.releaseSlug(ctx, slug)
		return fmt.Errorf("insert article body: %w", err)
	}
	if _, err := s.coll.InsertOne(ctx, a); err != nil {
		s.releaseSlug(ctx, slug)
		_, _ = s.bodies.DeleteOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: a.ID}})
		if mongo.IsDuplicateKeyError(err) {
			return ErrDuplicate
		}
		return fmt.Errorf("insert article: %w", err)
	}
	return s.changed(ctx, a.ID)
}

// ByID returns the article id, or ErrNotFound.
func (s *ArticleStore) ByID(ctx context.Context, id string) (Article, error) {
	return findOne[Article](ctx, s.coll, bson.D{{Key: "_id", Value: id}})
}

// BySlug returns the article the slug alias points at, or ErrNotFound.
func (s *ArticleStore) BySlug(ctx context.Context, slug string) (Article, error) {
	var alias struct {
		Article string `bson:"article"`
	}
	err := s.slugs.FindOne(ctx, bson.D{{Key: "_id", Value: slug}}).Decode(&alias)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Article{}, ErrNotFound
	}
	if err != nil {
		return Article{}, fmt.Errorf("find slug: %w", err)
	}
	return s.ByID(ctx, alias.Article)
}

// Body returns the body of article id, or ErrNotFound.
func (s *ArticleStore) Body(ctx context.Context, id string) (ArticleBody, error) {
	return findOne[ArticleBody](ctx, s.bodies, bson.D{{Key: "_id", Value: id}})
}

// Update applies fn to article id under the article's lock: fn changes
// *a (and returns a new body, or nil to keep the body); a returned error
// aborts with nothing written. A changed a.Slug is claimed (suffixed on
// collision) and the old alias released. The article's version grows by
// one. Errors: ErrNotFound, fn's error, ErrConflict when another instance
// wrote the article meanwhile (MongoDB).
func (s *ArticleStore) Update(ctx context.Context, id string, fn func(a *Article) (*ArticleBody, error)) (Article, error) {
	unlock := s.locks.lock("article:" + id)
	defer unlock()
	a, err := s.ByID(ctx, id)
	if err != nil {
		return Article{}, err
	}
	old := a
	body, err := fn(&a)
	if err != nil {
		return Article{}, err
	}
	a.ID, a.Version = id, old.Version+1
	if a.Slug != old.Slug {
		slug, err := s.reserveSlug(ctx, a.Slug, id)
		if err != nil {
			return Article{}, err
		}
		a.Slug = slug
	}
	if body != nil {
		body.ID = id
		if _, err := s.bodies.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, body, options.Replace().SetUpsert(true)); err != nil {
			return Article{}, fmt.Errorf("update article body: %w", err)
		}
	}
	filter := bson.D{{Key: "_id", Value: id}}
	if !s.embedded {
		filter = append(filter, bson.E{Key: "version", Value: old.Version})
	}
	// Counters are $inc'ed beside edits: the replacement keeps the stored
	// ones and only sets the rest.
	set := bson.D{}
	raw, err := bson.Marshal(a)
	if err != nil {
		return Article{}, fmt.Errorf("update article: %w", err)
	}
	if err := bson.Unmarshal(raw, &set); err != nil {
		return Article{}, fmt.Errorf("update article: %w", err)
	}
	kept := set[:0]
	for _, e := range set {
		switch e.Key {
		case "_id", "read", "praise", "review":
			continue
		}
		kept = append(kept, e)
	}
	res, err := s.coll.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: kept}})
	if err != nil {
		if isDuplicateKey(err) {
			return Article{}, ErrDuplicate
		}
		return Article{}, fmt.Errorf("update article: %w", err)
	}
	if res.MatchedCount == 0 {
		return Article{}, ErrConflict
	}
	if a.Slug != old.Slug {
		s.releaseSlug(ctx, old.Slug)
	}
	if err := s.changed(ctx, id); err != nil {
		return Article{}, err
	}
	return a, nil
}

// Inc adds c to the counters of article id (no document is created for an
// unknown id: ErrNotFound). Praise and review changes are recorded in the
// change counter, read counts are not (docs/blog.md, "Reads").
func (s *ArticleStore) Inc(ctx context.Context, id string, c ArticleCounters) error {
	inc := bson.D{}
	for _, f := range []struct {
		k string
		v int64
	}{{"read", c.Read}, {"praise", c.Praise}, {"review", c.Review}} {
		if f.v != 0 {
			inc = append(inc, bson.E{Key: f.k, Value: f.v})
		}
	}
	if len(inc) == 0 {
		return nil
	}
	unlock := s.locks.lock("article:" + id)
	res, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$inc", Value: inc}})
	unlock()
	if err != nil {
		return fmt.Errorf("count article: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	if c.Praise != 0 || c.Review != 0 {
		return s.changed(ctx, id)
	}
	return nil
}

// changed records writes of the articles ids in the change counter (seq
// grows by one per id; more than RecentChanges make every catalogue
// reload): a read-modify-write of one document under the process lock,
// guarded on MongoDB by the seq it read (retried when another instance
// won).
func (s *ArticleStore) changed(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	s.metaMu.Lock()
	defer s.metaMu.Unlock()
	for range 20 {
		cur, err := s.Changes(ctx)
		if err != nil {
			return err
		}
		recent := append(cur.Recent, ids...)
		if len(recent) > RecentChanges {
			recent = recent[len(recent)-RecentChanges:]
		}
		next := bson.D{{Key: "seq", Value: cur.Seq + int64(len(ids))}, {Key: "recent", Value: recent}}
		if cur.Seq == 0 {
			err := insert(ctx, s.meta, append(bson.D{{Key: "_id", Value: "articles"}}, next...))
			if errors.Is(err, ErrDuplicate) {
				continue
			}
			return err
		}
		filter := bson.D{{Key: "_id", Value: "articles"}}
		if !s.embedded {
			filter = append(filter, bson.E{Key: "seq", Value: cur.Seq})
		}
		res, err := s.meta.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: next}})
		if err != nil {
			return fmt.Errorf("record article change: %w", err)
		}
		if res.MatchedCount == 1 {
			return nil
		}
	}
	return fmt.Errorf("record article change: %w", ErrConflict)
}

// Changes returns the change counter (zero before the first write).
func (s *ArticleStore) Changes(ctx context.Context) (ArticleChanges, error) {
	c, err := findOne[ArticleChanges](ctx, s.meta, bson.D{{Key: "_id", Value: "articles"}})
	if errors.Is(err, ErrNotFound) {
		return ArticleChanges{}, nil
	}
	return c, err
}

// All returns every article that is not deleted (one scan: the
// catalogue's load).
func (s *ArticleStore) All(ctx context.Context) ([]Article, error) {
	cur, err := s.coll.Find(ctx, bson.D{{Key: "status", Value: bson.D{{Key: "$ne", Value: ArticleDeleted}}}})
	if err != nil {
		return nil, fmt.Errorf("list articles: %w", err)
	}
	var out []Article
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list articles: %w", err)
	}
	return out, nil
}

// Every returns every article, deleted ones included (one scan: the admin
// list; docs/admin.md, "Costs").
func (s *ArticleStore) Every(ctx context.Context) ([]Article, error) {
	cur, err := s.coll.Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list articles: %w", err)
	}
	var out []Article
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list articles: %w", err)
	}
	return out, nil
}

// PlainTexts calls fn with the id and plain text of every body (one scan).
func (s *ArticleStore) PlainTexts(ctx context.Context, fn func(id, plain string)) error {
	cur, err := s.bodies.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "plain", Value: 1}}))
	if err != nil {
		return fmt.Errorf("list article bodies: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var b ArticleBody
		if err := cur.Decode(&b); err != nil {
			return fmt.Errorf("list article bodies: %w", err)
		}
		fn(b.ID, b.Plain)
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("list article bodies: %w", err)
	}
	return nil
}

// CreateMany inserts articles and their bodies as they are (ids and slugs
// set, slugs unique): a bulk import for the load harness. Slug aliases are
// written too.
func (s *ArticleStore) CreateMany(ctx context.Context, arts []Article, bodies []ArticleBody) error {
	docs, aliases, bs := make([]any, len(arts)), make([]any, len(arts)), make([]any, len(bodies))
	for i := range arts {
		if arts[i].Version == 0 {
			arts[i].Version = 1
		}
		docs[i] = &arts[i]
		aliases[i] = bson.D{{Key: "_id", Value: arts[i].Slug}, {Key: "article", Value: arts[i].ID}}
	}
	for i := range bodies {
		bs[i] = &bodies[i]
	}
	for _, step := range []struct {
		coll *collection
		docs []any
	}{{s.slugs, aliases}, {s.bodies, bs}, {s.coll, docs}} {
		if len(step.docs) == 0 {
			continue
		}
		if _, err := step.coll.InsertMany(ctx, step.docs); err != nil {
			if mongo.IsDuplicateKeyError(err) {
				return ErrDuplicate
			}
			return fmt.Errorf("insert into %s: %w", step.coll.Name(), err)
		}
	}
	// More changes than Recent holds: every catalogue reloads in full.
	s.metaMu.Lock()
	defer s.metaMu.Unlock()
	_, err := s.meta.UpdateOne(ctx, bson.D{{Key: "_id", Value: "articles"}}, bson.D{
		{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(RecentChanges + 1)}}},
	}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("record article changes: %w", err)
	}
	return nil
}
