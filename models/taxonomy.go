package models

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// ArticleType is a document of `types`: `_id` is the identify an article
// names (`original`), Name what the writer page shows (原创).
// Index orders the types (smaller first, ties by Created); MovedTo, when
// set, makes the document a forwarding entry: the type was deleted and
// its articles moved to the type MovedTo (docs/blog.md, "Taxonomy").
// Version counts the document's writes.
type ArticleType struct {
	Identify string `bson:"_id"`
	Name     string `bson:"name"`
	Created  int64  `bson:"created"`
	Index    int    `bson:"index"`
	MovedTo  string `bson:"movedTo,omitempty"`
	Version  int64  `bson:"version"`
}

// Category is a document of `categories`, keyed by its name; Index,
// MovedTo and Version as for ArticleType (a renamed category forwards to
// its new name).
type Category struct {
	Name    string `bson:"_id"`
	Created int64  `bson:"created"`
	Index   int    `bson:"index"`
	MovedTo string `bson:"movedTo,omitempty"`
	Version int64  `bson:"version"`
}

// Tag is a document of `tags`, keyed by its name; created on first use.
// MovedTo and Version as for Category.
type Tag struct {
	Name    string `bson:"_id"`
	Created int64  `bson:"created"`
	MovedTo string `bson:"movedTo,omitempty"`
	Version int64  `bson:"version"`
}

// DefaultTypes and DefaultCategory are what a fresh database starts with,
// so that a new install's writer page works (docs/blog.md).
var (
	DefaultTypes = []ArticleType{
		{Identify: "original", Name: "原创"},
		{Identify: "reprint", Name: "转载"},
		{Identify: "translation", Name: "翻译"},
	}
	DefaultCategory = "默认"
)

// TaxonomyStore keeps article types, categories and tags: small
// collections read whole. Changes of one document are read-modify-writes
// by `_id` under the per-key locks, guarded on MongoDB by the version read.
type TaxonomyStore struct {
	types, categories, tags *collection
	locks                   *keyLocks
	// embedded: FerretDB, whose filters beyond {_id} scan; the process
	// lock alone serialises writes there.
	embedded bool
}

func newTaxonomyStore(db *database, embedded bool) *TaxonomyStore {
	return &TaxonomyStore{types: db.Collection(CollTypes), categories: db.Collection(CollCategories), tags: db.Collection(CollTags),
		locks: new(keyLocks), embedded: embedded}
}

// ensureDefaults gives an empty database the default types and category.
// Idempotent; a database with any type or category keeps what it has.
func (s *TaxonomyStore) ensureDefaults(ctx context.Context) error {
	n, err := s.types.EstimatedDocumentCount(ctx)
	if err != nil {
		return fmt.Errorf("count types: %w", err)
	}
	if n == 0 {
		for i, t := range DefaultTypes {
			t.Created = int64(i + 1) // keeps their order
			if err := s.CreateType(ctx, t); err != nil && err != ErrDuplicate {
				return err
			}
		}
	}
	if n, err = s.categories.EstimatedDocumentCount(ctx); err != nil {
		return fmt.Errorf("count categories: %w", err)
	}
	if n == 0 {
		if err := s.CreateCategory(ctx, Category{Name: DefaultCategory}); err != nil && err != ErrDuplicate {
			return err
		}
	}
	return nil
}

// insert adds doc to coll; ErrDuplicate when its `_id` exists.
func insert(ctx context.Context, coll *collection, doc any) error {
	_, err := coll.InsertOne(ctx, doc)
	if mongo.IsDuplicateKeyError(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("insert into %s: %w", coll.Name(), err)
	}
	return nil
}

// all decodes every document of coll, sorted by less.
func all[T any](ctx context.Context, coll *collection, less func(a, b T) bool) ([]T, error) {
	cur, err := coll.Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", coll.Name(), err)
	}
	out := []T{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list %s: %w", coll.Name(), err)
	}
	sort.SliceStable(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out, nil
}

// CreateType adds t; ErrDuplicate when its identify exists.
func (s *TaxonomyStore) CreateType(ctx context.Context, t ArticleType) error {
	return insert(ctx, s.types, t)
}

// Types returns every type, forwarding entries included, by index, then
// oldest first.
func (s *TaxonomyStore) Types(ctx context.Context) ([]ArticleType, error) {
	return all(ctx, s.types, func(a, b ArticleType) bool {
		return a.Index < b.Index || a.Index == b.Index && a.Created < b.Created
	})
}

// CreateCategory adds c; ErrDuplicate when its name exists.
func (s *TaxonomyStore) CreateCategory(ctx context.Context, c Category) error {
	return insert(ctx, s.categories, c)
}

// Categories returns every category, forwarding entries included, by
// index, then oldest first.
func (s *TaxonomyStore) Categories(ctx context.Context) ([]Category, error) {
	return all(ctx, s.categories, func(a, b Category) bool {
		return a.Index < b.Index || a.Index == b.Index && a.Created < b.Created
	})
}

// EnsureTags creates the tags of names that do not exist yet, at ms.
func (s *TaxonomyStore) EnsureTags(ctx context.Context, names []string, at int64) error {
	for _, n := range names {
		if err := insert(ctx, s.tags, Tag{Name: n, Created: at}); err != nil && err != ErrDuplicate {
			return err
		}
	}
	return nil
}

// Tags returns every tag, forwarding entries included, oldest first.
func (s *TaxonomyStore) Tags(ctx context.Context) ([]Tag, error) {
	return all(ctx, s.tags, func(a, b Tag) bool { return a.Created < b.Created })
}

// The admin's changes of the taxonomy (docs/admin.md, "Taxonomy"): one
// document at a time, by `_id`, under the document's lock.

// Type returns the type identify (a forwarding entry too), or ErrNotFound.
func (s *TaxonomyStore) Type(ctx context.Context, identify string) (ArticleType, error) {
	return findOne[ArticleType](ctx, s.types, bson.D{{Key: "_id", Value: identify}})
}

// Category returns the category name (a forwarding entry too), or
// ErrNotFound.
func (s *TaxonomyStore) Category(ctx context.Context, name string) (Category, error) {
	return findOne[Category](ctx, s.categories, bson.D{{Key: "_id", Value: name}})
}

// Tag returns the tag name (a forwarding entry too), or ErrNotFound.
func (s *TaxonomyStore) Tag(ctx context.Context, name string) (Tag, error) {
	return findOne[Tag](ctx, s.tags, bson.D{{Key: "_id", Value: name}})
}

// PutType adds t, or replaces a forwarding entry of its identify;
// ErrDuplicate when a type (not forwarding) has it.
func (s *TaxonomyStore) PutType(ctx context.Context, t ArticleType) error {
	return put(ctx, s, s.types, t.Identify, t, func(t ArticleType) bool { return t.MovedTo != "" }, func(t *ArticleType) *int64 { return &t.Version })
}

// PutCategory adds c, or replaces a forwarding entry of its name;
// ErrDuplicate when a category (not forwarding) has it.
func (s *TaxonomyStore) PutCategory(ctx context.Context, c Category) error {
	return put(ctx, s, s.categories, c.Name, c, func(c Category) bool { return c.MovedTo != "" }, func(c *Category) *int64 { return &c.Version })
}

// PutTag adds t, or replaces a forwarding entry of its name; ErrDuplicate
// when a tag (not forwarding) has it.
func (s *TaxonomyStore) PutTag(ctx context.Context, t Tag) error {
	return put(ctx, s, s.tags, t.Name, t, func(t Tag) bool { return t.MovedTo != "" }, func(t *Tag) *int64 { return &t.Version })
}

// ChangeType applies fn to type identify and writes the result (version
// one more); fn's error aborts with nothing written. It returns the type
// before and after. Errors: ErrNotFound, fn's, ErrConflict (another
// instance wrote it meanwhile, MongoDB).
func (s *TaxonomyStore) ChangeType(ctx context.Context, identify string, fn func(*ArticleType) error) (before, after ArticleType, err error) {
	return change(ctx, s, s.types, identify, func(t *ArticleType) *int64 { return &t.Version }, fn)
}

// ChangeCategory is ChangeType for category name (the name, its `_id`,
// cannot change: a rename puts the new name and forwards the old one).
func (s *TaxonomyStore) ChangeCategory(ctx context.Context, name string, fn func(*Category) error) (before, after Category, err error) {
	return change(ctx, s, s.categories, name, func(c *Category) *int64 { return &c.Version }, fn)
}

// ChangeTag is ChangeCategory for tags.
func (s *TaxonomyStore) ChangeTag(ctx context.Context, name string, fn func(*Tag) error) (before, after Tag, err error) {
	return change(ctx, s, s.tags, name, func(t *Tag) *int64 { return &t.Version }, fn)
}

// RemoveType deletes type identify; ErrNotFound when there is none.
func (s *TaxonomyStore) RemoveType(ctx context.Context, identify string) error {
	return remove(ctx, s, s.types, identify)
}

// RemoveCategory deletes category name; ErrNotFound when there is none.
func (s *TaxonomyStore) RemoveCategory(ctx context.Context, name string) error {
	return remove(ctx, s, s.categories, name)
}

// RemoveTag deletes tag name; ErrNotFound when there is none.
func (s *TaxonomyStore) RemoveTag(ctx context.Context, name string) error {
	return remove(ctx, s, s.tags, name)
}

// guard is the filter of a write of key read at version: `_id` alone on
// the embedded FerretDB (the process lock serialises), `_id` and version
// on MongoDB (a document written before versions counts as version 0).
func (s *TaxonomyStore) guard(key string, version int64) bson.D {
	f := bson.D{{Key: "_id", Value: key}}
	switch {
	case s.embedded:
	case version == 0:
		f = append(f, bson.E{Key: "version", Value: bson.D{{Key: "$in", Value: bson.A{int64(0), nil}}}})
	default:
		f = append(f, bson.E{Key: "version", Value: version})
	}
	return f
}

// replace writes doc over key as read at version; ErrConflict when the
// guard matched nothing.
func (s *TaxonomyStore) replace(ctx context.Context, coll *collection, key string, version int64, doc any) error {
	res, err := coll.ReplaceOne(ctx, s.guard(key, version), doc)
	if err != nil {
		return fmt.Errorf("write %s: %w", coll.Name(), err)
	}
	if res.MatchedCount == 0 {
		return ErrConflict
	}
	return nil
}

func put[T any](ctx context.Context, s *TaxonomyStore, coll *collection, key string, doc T, forwarding func(T) bool, version func(*T) *int64) error {
	defer s.locks.lock(coll.Name() + ":" + key)()
	*version(&doc) = 1
	err := insert(ctx, coll, doc)
	if !errors.Is(err, ErrDuplicate) {
		return err
	}
	old, err := findOne[T](ctx, coll, bson.D{{Key: "_id", Value: key}})
	if errors.Is(err, ErrNotFound) {
		return insert(ctx, coll, doc) // removed meanwhile
	}
	if err != nil {
		return err
	}
	if !forwarding(old) {
		return ErrDuplicate
	}
	*version(&doc) = *version(&old) + 1
	return s.replace(ctx, coll, key, *version(&old), doc)
}

func change[T any](ctx context.Context, s *TaxonomyStore, coll *collection, key string, version func(*T) *int64, fn func(*T) error) (before, after T, err error) {
	defer s.locks.lock(coll.Name() + ":" + key)()
	old, err := findOne[T](ctx, coll, bson.D{{Key: "_id", Value: key}})
	if err != nil {
		return old, old, err
	}
	doc := old
	if err := fn(&doc); err != nil {
		return old, old, err
	}
	*version(&doc) = *version(&old) + 1
	if err := s.replace(ctx, coll, key, *version(&old), doc); err != nil {
		return old, old, err
	}
	return old, doc, nil
}

func remove(ctx context.Context, s *TaxonomyStore, coll *collection, key string) error {
	defer s.locks.lock(coll.Name() + ":" + key)()
	res, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}})
	if err != nil {
		return fmt.Errorf("delete from %s: %w", coll.Name(), err)
	}
	if res.DeletedCount == 0 {
		return ErrNotFound
	}
	return nil
}
