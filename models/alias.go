package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// aliasDoc is a document of the `aliases` collection: a unique name of a
// user (its lower-cased account name or email) as the _id, pointing at the
// user's _id. Finding a user by account or email is then a read of exactly
// {_id: v}, which the embedded FerretDB serves from an index at any size
// (docs/operations.md, "The embedded database"), and taking a name is a
// unique insert (duplicate key = taken) on MongoDB and FerretDB alike.
type aliasDoc struct {
	ID        string        `bson:"_id"`
	User      bson.ObjectID `bson:"user"`
	CreatedAt time.Time     `bson:"createdAt"`
}

// accountAlias and emailAlias are the alias _ids of an account key and an
// email key (AccountKey, EmailKey).
func accountAlias(key string) string { return "account:" + key }
func emailAlias(key string) string   { return "email:" + key }

// aliasBackfilled marks a database whose users all have their aliases
// (written by backfill once, when it has made them).
const aliasBackfilled = "meta:aliases-backfilled"

// orphanAge is how old an alias whose user does not exist must be before
// a new user may take its name: a registration that failed half-way (the
// process died between the alias and the user insert) leaves such an
// alias; a younger one may belong to a registration still in flight.
const orphanAge = 30 * time.Second

// aliases keeps the `aliases` collection for a UserStore.
type aliases struct {
	coll *collection
	now  func() time.Time
}

// errAliasTaken is take's answer when the alias names another user.
var errAliasTaken = errors.New("alias taken")

// take inserts alias id for user. errAliasTaken when id names another
// user; an alias already naming user succeeds (a retry, or an email whose
// case changed). users resolves orphans: an alias older than orphanAge
// whose user is gone is deleted and the insert retried once.
func (a aliases) take(ctx context.Context, users *collection, id string, user bson.ObjectID) error {
	for attempt := 0; ; attempt++ {
		_, err := a.coll.InsertOne(ctx, aliasDoc{ID: id, User: user, CreatedAt: a.now()})
		if err == nil {
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("insert alias: %w", err)
		}
		held, err := findOne[aliasDoc](ctx, a.coll, bson.D{{Key: "_id", Value: id}})
		switch {
		case errors.Is(err, ErrNotFound):
			if attempt > 0 {
				return errAliasTaken
			}
			continue // deleted in between: try again
		case err != nil:
			return err
		case held.User == user:
			return nil
		case attempt > 0 || a.now().Sub(held.CreatedAt) < orphanAge:
			return errAliasTaken
		}
		switch _, err := findOne[bson.Raw](ctx, users, bson.D{{Key: "_id", Value: held.User}}); {
		case err == nil:
			return errAliasTaken
		case !errors.Is(err, ErrNotFound):
			return err
		}
		// An orphan of a registration that failed half-way: reclaim it.
		if err := a.drop(ctx, id); err != nil {
			return err
		}
	}
}

// user returns the _id of the user alias id names; ErrNotFound when none.
func (a aliases) user(ctx context.Context, id string) (bson.ObjectID, error) {
	doc, err := findOne[aliasDoc](ctx, a.coll, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return bson.ObjectID{}, err
	}
	return doc.User, nil
}

// drop deletes alias id (the caller holds it).
func (a aliases) drop(ctx context.Context, id string) error {
	if _, err := a.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("delete alias: %w", err)
	}
	return nil
}

// put inserts the aliases of users in one unordered bulk insert, skipping
// names that already have an alias (a bulk import of new users, and the
// backfill).
func (a aliases) put(ctx context.Context, users []User) error {
	if len(users) == 0 {
		return nil
	}
	now := a.now()
	docs := make([]any, 0, 2*len(users))
	for _, u := range users {
		docs = append(docs, aliasDoc{ID: accountAlias(u.AccountKey), User: u.ID, CreatedAt: now},
			aliasDoc{ID: emailAlias(u.EmailKey), User: u.ID, CreatedAt: now})
	}
	_, err := a.coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err != nil && !onlyDuplicates(err) {
		return fmt.Errorf("insert aliases: %w", err)
	}
	return nil
}

// onlyDuplicates reports a bulk write that failed on duplicate keys only.
func onlyDuplicates(err error) bool {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return false
	}
	for _, we := range bwe.WriteErrors {
		if we.Code != 11000 {
			return false
		}
	}
	return true
}

// backfill gives every user of users its aliases, once per database: users
// written before aliases existed become findable by account and email. It
// reads the whole users collection, at start-up only.
func (a aliases) backfill(ctx context.Context, users *collection) error {
	switch _, err := a.user(ctx, aliasBackfilled); {
	case err == nil:
		return nil
	case !errors.Is(err, ErrNotFound):
		return err
	}
	cur, err := users.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "accountKey", Value: 1}, {Key: "emailKey", Value: 1}}))
	if err != nil {
		return fmt.Errorf("backfill aliases: %w", err)
	}
	var all []User
	if err := cur.All(ctx, &all); err != nil {
		return fmt.Errorf("backfill aliases: %w", err)
	}
	for start := 0; start < len(all); start += 1000 {
		if err := a.put(ctx, all[start:min(start+1000, len(all))]); err != nil {
			return err
		}
	}
	_, err = a.coll.InsertOne(ctx, aliasDoc{ID: aliasBackfilled, CreatedAt: a.now()})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("backfill aliases: %w", err)
	}
	return nil
}
