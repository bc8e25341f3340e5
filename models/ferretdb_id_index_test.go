package models

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// sqlitePlan is SQLite's plan for FerretDB's find by _id on table.
func sqlitePlan(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	rows, err := db.Query(fmt.Sprintf("EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %s WHERE %s = ?", sqliteIdent(table), sqliteIDExpr), `"x"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}

// TestIndexEmbeddedIDs: FerretDB v1.24 alone scans a table to find a
// document by _id; after indexEmbeddedIDs SQLite searches an index, for every
// collection of the stores, which all exist; documents are found as
// before, and a second call changes nothing.
func TestIndexEmbeddedIDs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	db := embeddedDatabase(t, ctx, dir, "blogapi_idx")
	users := newUserStore(db, time.Now)
	u := User{Account: "indexed", Email: "indexed@example.com", PasswordHash: "x"}
	if err := users.Create(ctx, &u); err != nil {
		t.Fatal(err)
	}

	sqlDB, err := openEmbeddedSQLite(dir, db.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	table := func(coll string) string {
		t.Helper()
		var name string
		if err := sqlDB.QueryRow("SELECT table_name FROM "+sqliteIdent(sqliteCollectionsTable)+" WHERE name = ?", coll).Scan(&name); err != nil {
			t.Fatalf("table of %s: %v", coll, err)
		}
		return name
	}
	if plan := sqlitePlan(t, sqlDB, table(CollUsers)); !strings.Contains(plan, "SCAN") {
		t.Fatalf("before indexEmbeddedIDs FerretDB's own find by _id no longer scans (%s): is the workaround still needed?", plan)
	}

	for range 2 {
		if err := indexEmbeddedIDs(ctx, db, dir, collectionNames()); err != nil {
			t.Fatalf("indexEmbeddedIDs: %v", err)
		}
	}
	have, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	for _, coll := range collectionNames() {
		if !slices.Contains(have, coll) {
			t.Errorf("collection %s not created", coll)
			continue
		}
		plan := sqlitePlan(t, sqlDB, table(coll))
		if !strings.Contains(plan, "USING INDEX") || !strings.Contains(plan, sqliteIDIndexSuffix) {
			t.Errorf("%s: find by _id plan %q, want a search using the %s index", coll, plan, sqliteIDIndexSuffix)
		}
	}
	got, err := users.ByID(ctx, u.ID.Hex())
	if err != nil || got.Account != "indexed" {
		t.Fatalf("ByID after indexEmbeddedIDs: %+v, %v", got, err)
	}
}

// TestOpenIndexesEmbeddedIDs: Open on the embedded server applies the
// workaround to the database it opens, and OpenDatabase to another one.
func TestOpenIndexesEmbeddedIDs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	first, err := Open(ctx, Options{Dir: dir, Database: "first"})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := first.OpenDatabase(ctx, Options{Database: "second"})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	for _, d := range []*DB{first, second} {
		sqlDB, err := openEmbeddedSQLite(first.srv.dir, d.Name())
		if err != nil {
			t.Fatal(err)
		}
		defer sqlDB.Close()
		for _, coll := range collectionNames() {
			var table string
			if err := sqlDB.QueryRow("SELECT table_name FROM "+sqliteIdent(sqliteCollectionsTable)+" WHERE name = ?", coll).Scan(&table); err != nil {
				t.Fatalf("%s: table of %s: %v", d.Name(), coll, err)
			}
			if plan := sqlitePlan(t, sqlDB, table); !strings.Contains(plan, sqliteIDIndexSuffix) {
				t.Errorf("%s.%s: find by _id plan %q, want the %s index", d.Name(), coll, plan, sqliteIDIndexSuffix)
			}
		}
	}
}

// TestSQLiteIdent: a name with quotes, spaces or a keyword round-trips
// through SQLite as the identifier it names.
func TestSQLiteIdent(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	for _, name := range []string{`users_1`, `a"b`, `""`, `select`, `with space`, `x"; DROP TABLE t; --`} {
		if _, err := db.Exec("CREATE TABLE " + sqliteIdent(name) + " (v)"); err != nil {
			t.Fatalf("create %q: %v", name, err)
		}
		var got string
		if err := db.QueryRow("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", name).Scan(&got); err != nil || got != name {
			t.Fatalf("table %q: found %q (%v)", name, got, err)
		}
	}
}
