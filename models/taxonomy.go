package models

import (
	"context"
	"fmt"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// ArticleType is a document of `types`: `_id` is the identify an article
// names (`original`), Name what the writer page shows (原创).
type ArticleType struct {
	Identify string `bson:"_id"`
	Name     string `bson:"name"`
	Created  int64  `bson:"created"`
}

// Category is a document of `categories`, keyed by its name.
type Category struct {
	Name    string `bson:"_id"`
	Created int64  `bson:"created"`
}

// Tag is a document of `tags`, keyed by its name; created on first use.
type Tag struct {
	Name    string `bson:"_id"`
	Created int64  `bson:"created"`
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
// collections read whole.
type TaxonomyStore struct{ types, categories, tags *mongo.Collection }

func newTaxonomyStore(db *mongo.Database) *TaxonomyStore {
	return &TaxonomyStore{types: db.Collection(CollTypes), categories: db.Collection(CollCategories), tags: db.Collection(CollTags)}
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
func insert(ctx context.Context, coll *mongo.Collection, doc any) error {
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
func all[T any](ctx context.Context, coll *mongo.Collection, less func(a, b T) bool) ([]T, error) {
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

// Types returns every type, oldest first.
func (s *TaxonomyStore) Types(ctx context.Context) ([]ArticleType, error) {
	return all(ctx, s.types, func(a, b ArticleType) bool { return a.Created < b.Created })
}

// CreateCategory adds c; ErrDuplicate when its name exists.
func (s *TaxonomyStore) CreateCategory(ctx context.Context, c Category) error {
	return insert(ctx, s.categories, c)
}

// Categories returns every category, oldest first.
func (s *TaxonomyStore) Categories(ctx context.Context) ([]Category, error) {
	return all(ctx, s.categories, func(a, b Category) bool { return a.Created < b.Created })
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

// Tags returns every tag, oldest first.
func (s *TaxonomyStore) Tags(ctx context.Context) ([]Tag, error) {
	return all(ctx, s.tags, func(a, b Tag) bool { return a.Created < b.Created })
}
