package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// expiring sets up expiry for collections whose documents carry
// `expiresAt`: a TTL index where the server has them (MongoDB),
// else a periodic sweep (FerretDB v1 answers NotImplemented). Reads filter
// on expiresAt either way, so expiry is exact; this only reclaims space.
type expiring struct {
	sweep  []*collection
	logger *slog.Logger
	// also are further periodic clean-ups run with the sweep (releasing
	// deleted accounts): each returns how many documents it changed.
	also []func(ctx context.Context, now time.Time) (int, error)
}

// ensureExpiry creates an `expiresAt` TTL index (expireAfterSeconds 0) on
// each collection; those where the server refuses TTL indexes are swept by
// run instead. An `expiresAt` index is created in any case. Idempotent.
func ensureExpiry(ctx context.Context, logger *slog.Logger, colls ...*collection) (*expiring, error) {
	e := &expiring{logger: logger}
	for _, c := range colls {
		_, err := c.Indexes().CreateOne(ctx, mongo.IndexModel{
			Keys:    bson.D{{Key: "expiresAt", Value: 1}},
			Options: options.Index().SetExpireAfterSeconds(0).SetName("expiresAt_ttl"),
		})
		if err == nil {
			continue
		}
		var ce mongo.CommandError
		if !errors.As(err, &ce) {
			return nil, fmt.Errorf("%s ttl index: %w", c.Name(), err)
		}
		// No TTL support (or an index of the same name without TTL): a plain
		// index for the sweep and the reads.
		if _, err := c.Indexes().CreateOne(ctx, mongo.IndexModel{
			Keys:    bson.D{{Key: "expiresAt", Value: 1}},
			Options: options.Index().SetName("expiresAt_1"),
		}); err != nil && !isIndexConflict(err) {
			return nil, fmt.Errorf("%s expiresAt index: %w", c.Name(), err)
		}
		e.sweep = append(e.sweep, c)
	}
	return e, nil
}

func isIndexConflict(err error) bool {
	var ce mongo.CommandError
	// 85 IndexOptionsConflict, 86 IndexKeySpecsConflict: an equivalent
	// index already exists under the other name.
	return errors.As(err, &ce) && (ce.Code == 85 || ce.Code == 86)
}

// sweepOnce deletes documents whose expiresAt is at or before now from the
// swept collections and returns how many.
func (e *expiring) sweepOnce(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, c := range e.sweep {
		res, err := c.DeleteMany(ctx, bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lte", Value: now}}}})
		if err != nil {
			return total, fmt.Errorf("sweep %s: %w", c.Name(), err)
		}
		total += res.DeletedCount
	}
	return total, nil
}

// run sweeps, and runs the also tasks, every interval until ctx ends.
// Nothing to do: returns at once.
func (e *expiring) run(ctx context.Context, interval time.Duration, now func() time.Time) {
	if len(e.sweep) == 0 && len(e.also) == 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := e.sweepOnce(ctx, now()); err != nil {
				e.logger.WarnContext(ctx, "expiry sweep failed", "err", err.Error())
			} else if n > 0 {
				e.logger.DebugContext(ctx, "expiry sweep", "deleted", n)
			}
			for _, task := range e.also {
				if _, err := task(ctx, now()); err != nil {
					e.logger.WarnContext(ctx, "periodic clean-up failed", "err", err.Error())
				}
			}
		}
	}
}
