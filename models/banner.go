package models

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Banner is one banner of the blog's home page (docs/admin.md, "Banners").
// Times are ms since the Unix epoch.
type Banner struct {
	ID      string `bson:"id"`
	Cover   string `bson:"cover"`
	GoURL   string `bson:"goUrl"`
	Title   string `bson:"title"`
	Summary string `bson:"summary"`
	Index   int    `bson:"index"`
	Enabled bool   `bson:"enabled"`
	Created int64  `bson:"created"`
	Updated int64  `bson:"updated"`
}

// bannerList is the one document of `banners` (`_id: "banners"`): every
// banner, so the public list is one read by `_id` and every admin change
// one single-document write.
type bannerList struct {
	Seq   int64    `bson:"seq"`
	Items []Banner `bson:"items"`
}

// BannerStore keeps the banners.
type BannerStore struct {
	coll *collection
	mu   sync.Mutex
	// embedded: FerretDB, whose filters beyond {_id} scan; the process
	// lock alone serialises writes there.
	embedded bool
}

func newBannerStore(db *database, embedded bool) *BannerStore {
	return &BannerStore{coll: db.Collection(CollBanners), embedded: embedded}
}

// NewBannerID is a fresh banner id (24 hex digits).
func NewBannerID() string { return bson.NewObjectID().Hex() }

// All returns every banner as stored (one read by `_id`).
func (s *BannerStore) All(ctx context.Context) ([]Banner, error) {
	l, err := findOne[bannerList](ctx, s.coll, bson.D{{Key: "_id", Value: "banners"}})
	if errors.Is(err, ErrNotFound) {
		return []Banner{}, nil
	}
	if err != nil {
		return nil, err
	}
	if l.Items == nil {
		l.Items = []Banner{}
	}
	return l.Items, nil
}

// Change replaces the banners with what fn makes of them: a read-modify-
// write of the one document under the process lock, guarded on MongoDB by
// the seq it read (retried when another instance won). fn's error aborts
// with nothing written. It returns the banners written.
func (s *BannerStore) Change(ctx context.Context, fn func([]Banner) ([]Banner, error)) ([]Banner, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range 20 {
		cur, err := findOne[bannerList](ctx, s.coll, bson.D{{Key: "_id", Value: "banners"}})
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		items, err := fn(append([]Banner(nil), cur.Items...))
		if err != nil {
			return nil, err
		}
		if items == nil {
			items = []Banner{}
		}
		next := bson.D{{Key: "seq", Value: cur.Seq + 1}, {Key: "items", Value: items}}
		if cur.Seq == 0 {
			err := insert(ctx, s.coll, append(bson.D{{Key: "_id", Value: "banners"}}, next...))
			if errors.Is(err, ErrDuplicate) {
				continue
			}
			if err != nil {
				return nil, err
			}
			return items, nil
		}
		filter := bson.D{{Key: "_id", Value: "banners"}}
		if !s.embedded {
			filter = append(filter, bson.E{Key: "seq", Value: cur.Seq})
		}
		res, err := s.coll.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: next}})
		if err != nil {
			return nil, fmt.Errorf("write banners: %w", err)
		}
		if res.MatchedCount == 1 {
			return items, nil
		}
	}
	return nil, fmt.Errorf("write banners: %w", ErrConflict)
}
