package models

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// AuditEntry is a document of the `audit_log` collection: one admin
// action (docs/admin.md, "Audit log"). Before and After hold the changed
// fields only, by their API names.
type AuditEntry struct {
	ID bson.ObjectID `bson:"_id"`
	// At is when the action was taken, ms since the Unix epoch.
	At int64 `bson:"at"`
	// Who is the admin's user id (hex), WhoAccount their account name then.
	Who        string `bson:"who"`
	WhoAccount string `bson:"whoAccount"`
	Action     string `bson:"action"`
	// TargetType is what was acted on ("user", "article"...), Target its id.
	TargetType string         `bson:"targetType"`
	Target     string         `bson:"target"`
	Before     map[string]any `bson:"before,omitempty"`
	After      map[string]any `bson:"after,omitempty"`
	Reason     string         `bson:"reason,omitempty"`
	RequestID  string         `bson:"requestId,omitempty"`
	IP         string         `bson:"ip,omitempty"`
}

// AuditStore appends to and lists the audit log. There is no update or
// delete: entries cannot be changed through the API.
type AuditStore struct{ coll *collection }

func newAuditStore(db *database) *AuditStore {
	return &AuditStore{coll: db.Collection(CollAuditLog)}
}

// ensureIndexes creates the `at` index the list sorts on (MongoDB).
func (s *AuditStore) ensureIndexes(ctx context.Context) error {
	return createIndexes(ctx, s.coll,
		mongo.IndexModel{Keys: bson.D{{Key: "at", Value: -1}}, Options: options.Index().SetName("at_-1")},
		mongo.IndexModel{Keys: bson.D{{Key: "target", Value: 1}}, Options: options.Index().SetName("target_1")},
	)
}

// Add appends e (its ID is set when zero).
func (s *AuditStore) Add(ctx context.Context, e *AuditEntry) error {
	if e.ID.IsZero() {
		e.ID = bson.NewObjectID()
	}
	if _, err := s.coll.InsertOne(ctx, e); err != nil {
		return fmt.Errorf("add audit entry: %w", err)
	}
	return nil
}

// AuditFilter selects entries for AuditStore.List; zero fields select all.
type AuditFilter struct {
	Who, Action, TargetType, Target string
	// From and To bound At, ms, inclusive (0: unbounded).
	From, To int64
}

// List returns one page of the entries f selects (page from 1), newest
// first, and how many f selects in all. A scan on the embedded FerretDB
// (docs/admin.md, "Costs").
func (s *AuditStore) List(ctx context.Context, f AuditFilter, page, pageSize int) ([]AuditEntry, int64, error) {
	q := bson.D{}
	for _, kv := range []struct{ k, v string }{{"who", f.Who}, {"action", f.Action}, {"targetType", f.TargetType}, {"target", f.Target}} {
		if kv.v != "" {
			q = append(q, bson.E{Key: kv.k, Value: kv.v})
		}
	}
	if f.From > 0 || f.To > 0 {
		r := bson.D{}
		if f.From > 0 {
			r = append(r, bson.E{Key: "$gte", Value: f.From})
		}
		if f.To > 0 {
			r = append(r, bson.E{Key: "$lte", Value: f.To})
		}
		q = append(q, bson.E{Key: "at", Value: r})
	}
	total, err := s.coll.CountDocuments(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("count audit entries: %w", err)
	}
	cur, err := s.coll.Find(ctx, q, options.Find().
		SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).
		SetSkip(int64((page-1)*pageSize)).SetLimit(int64(pageSize)))
	if err != nil {
		return nil, 0, fmt.Errorf("list audit entries: %w", err)
	}
	entries := []AuditEntry{}
	if err := cur.All(ctx, &entries); err != nil {
		return nil, 0, fmt.Errorf("list audit entries: %w", err)
	}
	return entries, total, nil
}
