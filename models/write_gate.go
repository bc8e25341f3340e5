package models

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// On the embedded FerretDB every database is one SQLite file, and SQLite
// takes one write at a time per file. Concurrent writers that find the
// file locked wait in SQLite's busy handler, which sleeps in steps of 1 to
// 100 ms and so answers long after the lock came free: in the load
// harness, 8 clients asking for captchas (one insert each) saw p99 107 ms
// and 990 req/s, and with the writes queued here instead, 8.3 ms and
// 1,943 req/s (docs/architecture.md, "Writes on the embedded database").
// So on the embedded database the stores send their writes one at a time
// per database, through a writeGate; reads are not gated. On MongoDB
// there is no gate.

// writeGate admits one write at a time; a nil gate admits all.
type writeGate chan struct{}

// enter waits for the gate, or for ctx to end (then its error).
func (g writeGate) enter(ctx context.Context) error {
	if g == nil {
		return nil
	}
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// leave lets the next write in.
func (g writeGate) leave() {
	if g != nil {
		<-g
	}
}

// gated runs the write op behind g.
func gated[T any](ctx context.Context, g writeGate, op func() (T, error)) (T, error) {
	if err := g.enter(ctx); err != nil {
		var zero T
		return zero, err
	}
	defer g.leave()
	return op()
}

// database is a *mongo.Database whose collections send their writes
// through its gate.
type database struct {
	*mongo.Database
	gate writeGate
}

// Collection is the collection name of d, behind d's gate.
func (d *database) Collection(name string, opts ...options.Lister[options.CollectionOptions]) *collection {
	return &collection{Collection: d.Database.Collection(name, opts...), gate: d.gate}
}

// collection is a *mongo.Collection whose write methods pass its gate;
// everything else is the driver's.
type collection struct {
	*mongo.Collection
	gate writeGate
}

func (c *collection) InsertOne(ctx context.Context, doc any, opts ...options.Lister[options.InsertOneOptions]) (*mongo.InsertOneResult, error) {
	return gated(ctx, c.gate, func() (*mongo.InsertOneResult, error) { return c.Collection.InsertOne(ctx, doc, opts...) })
}

func (c *collection) InsertMany(ctx context.Context, docs any, opts ...options.Lister[options.InsertManyOptions]) (*mongo.InsertManyResult, error) {
	return gated(ctx, c.gate, func() (*mongo.InsertManyResult, error) { return c.Collection.InsertMany(ctx, docs, opts...) })
}

func (c *collection) UpdateOne(ctx context.Context, filter, update any, opts ...options.Lister[options.UpdateOneOptions]) (*mongo.UpdateResult, error) {
	return gated(ctx, c.gate, func() (*mongo.UpdateResult, error) { return c.Collection.UpdateOne(ctx, filter, update, opts...) })
}

func (c *collection) UpdateMany(ctx context.Context, filter, update any, opts ...options.Lister[options.UpdateManyOptions]) (*mongo.UpdateResult, error) {
	return gated(ctx, c.gate, func() (*mongo.UpdateResult, error) { return c.Collection.UpdateMany(ctx, filter, update, opts...) })
}

func (c *collection) ReplaceOne(ctx context.Context, filter, doc any, opts ...options.Lister[options.ReplaceOptions]) (*mongo.UpdateResult, error) {
	return gated(ctx, c.gate, func() (*mongo.UpdateResult, error) { return c.Collection.ReplaceOne(ctx, filter, doc, opts...) })
}

func (c *collection) DeleteOne(ctx context.Context, filter any, opts ...options.Lister[options.DeleteOneOptions]) (*mongo.DeleteResult, error) {
	return gated(ctx, c.gate, func() (*mongo.DeleteResult, error) { return c.Collection.DeleteOne(ctx, filter, opts...) })
}

func (c *collection) DeleteMany(ctx context.Context, filter any, opts ...options.Lister[options.DeleteManyOptions]) (*mongo.DeleteResult, error) {
	return gated(ctx, c.gate, func() (*mongo.DeleteResult, error) { return c.Collection.DeleteMany(ctx, filter, opts...) })
}

func (c *collection) BulkWrite(ctx context.Context, models []mongo.WriteModel, opts ...options.Lister[options.BulkWriteOptions]) (*mongo.BulkWriteResult, error) {
	return gated(ctx, c.gate, func() (*mongo.BulkWriteResult, error) { return c.Collection.BulkWrite(ctx, models, opts...) })
}

// The findAndModify family runs its command before it returns; the
// SingleResult holds the answer.

func (c *collection) FindOneAndUpdate(ctx context.Context, filter, update any, opts ...options.Lister[options.FindOneAndUpdateOptions]) *mongo.SingleResult {
	r, _ := gated(ctx, c.gate, func() (*mongo.SingleResult, error) {
		return c.Collection.FindOneAndUpdate(ctx, filter, update, opts...), nil
	})
	return orErr(r, ctx)
}

func (c *collection) FindOneAndReplace(ctx context.Context, filter, doc any, opts ...options.Lister[options.FindOneAndReplaceOptions]) *mongo.SingleResult {
	r, _ := gated(ctx, c.gate, func() (*mongo.SingleResult, error) {
		return c.Collection.FindOneAndReplace(ctx, filter, doc, opts...), nil
	})
	return orErr(r, ctx)
}

func (c *collection) FindOneAndDelete(ctx context.Context, filter any, opts ...options.Lister[options.FindOneAndDeleteOptions]) *mongo.SingleResult {
	r, _ := gated(ctx, c.gate, func() (*mongo.SingleResult, error) { return c.Collection.FindOneAndDelete(ctx, filter, opts...), nil })
	return orErr(r, ctx)
}

// orErr is r, or when the gate was not entered (r nil) a SingleResult
// carrying ctx's error.
func orErr(r *mongo.SingleResult, ctx context.Context) *mongo.SingleResult {
	if r != nil {
		return r
	}
	return mongo.NewSingleResultFromDocument(bson.D{}, ctx.Err(), nil)
}
