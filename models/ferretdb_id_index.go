package models

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses ("sqlite")
)

// FerretDB v1.24's SQLite layout (the version is pinned in go.mod, docs/architecture.md):
// one file <dir>/<database>.sqlite per database, a table mapping collection
// names to table names, every document in one JSON column, and finds by
// _id alone pushed down to SQL as `WHERE <sqliteIDExpr> = ?`.
const (
	sqliteCollectionsTable = "_ferretdb_collections"
	sqliteIDExpr           = `_ferretdb_sjson->'$._id'`
	sqliteIDIndexSuffix    = "_blogapi_id"
)

// indexEmbeddedIDs makes finds by _id on the embedded database use an
// index: the workaround for FerretDB v1.24's SQLite backend, which Open
// applies to every database of the embedded server.
//
// FerretDB v1.24's SQLite backend runs a find whose filter is {_id: v}
// alone as `WHERE _ferretdb_sjson->'$._id' = ?`, but builds its own _id
// index on `_ferretdb_sjson->"_id"`, an expression SQLite does not take
// for the same: every such find reads the table up to the document
// (BENCHMARKS.md, "Findings": 112 ms for a missing _id among 20,000 users,
// 0.28 ms with this index). Sessions, users and captchas are found that
// way on every request.
//
// It creates the collections of colls that do not exist yet in db (a
// database of the embedded server whose SQLite files are in dir, as given
// to startEmbedded), so that their tables exist, then adds to every
// collection table of db's SQLite file an index on the expression FerretDB
// queries with. Idempotent. FerretDB does not list these indexes (its
// listIndexes reads its own metadata) and they are dropped with their
// table. Finds on any other field still read the whole collection:
// FerretDB v1 pushes no other filter down to SQL.
func indexEmbeddedIDs(ctx context.Context, db *database, dir string, colls []string) error {
	have, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("index _id: list collections: %w", err)
	}
	for _, name := range colls {
		if slices.Contains(have, name) {
			continue
		}
		if err := db.CreateCollection(ctx, name); err != nil {
			return fmt.Errorf("index _id: create collection %s: %w", name, err)
		}
	}

	sqlDB, err := openEmbeddedSQLite(dir, db.Name())
	if err != nil {
		return fmt.Errorf("index _id: %w", err)
	}
	defer sqlDB.Close()
	rows, err := sqlDB.QueryContext(ctx, "SELECT table_name FROM "+sqliteIdent(sqliteCollectionsTable))
	if err != nil {
		return fmt.Errorf("index _id: read FerretDB's collection table: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("index _id: read FerretDB's collection table: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index _id: read FerretDB's collection table: %w", err)
	}
	for _, t := range tables {
		q := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s)", sqliteIdent(t+sqliteIDIndexSuffix), sqliteIdent(t), sqliteIDExpr)
		if _, err := sqlDB.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index _id: table %s: %w", t, err)
		}
	}
	return nil
}

// openEmbeddedSQLite opens the SQLite file FerretDB keeps database in,
// under dir. Nothing is read until the first query.
func openEmbeddedSQLite(dir, database string) (*sql.DB, error) {
	file := filepath.Join(dir, database+".sqlite")
	// busy_timeout: FerretDB's own connections may hold the write lock.
	sqlDB, err := sql.Open("sqlite", "file:"+filepath.ToSlash(file)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	return sqlDB, nil
}

// sqliteIdent quotes name as an SQLite identifier ("…", inner quotes
// doubled).
func sqliteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
