package models

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// FilterInspector receives the filters of each database command a DB's
// client starts, on the caller's goroutine, with the command's context. It
// must be quick.
type FilterInspector func(ctx context.Context, c CommandFilters)

// CommandFilters are the filters one database command carries: what the
// embedded FerretDB must match documents against (docs/operations.md, "The
// embedded database": only exactly {_id: v} is served from an index).
type CommandFilters struct {
	// Command is the command's name ("find", "update", "findAndModify"…);
	// Collection the collection it names.
	Command, Collection string
	// Filters are the command's filters in relaxed extended JSON: find's
	// and count's filter, findAndModify's query, each statement's of update
	// and delete, aggregate's whole pipeline. Empty for commands without
	// one (insert, and the set-up commands).
	Filters []Filter
}

// Filter is one filter of a command.
type Filter struct {
	// JSON is the filter in relaxed extended JSON ("{}" for none: every
	// document).
	JSON string
	// ByID is true when the filter is exactly {_id: v} with v a plain
	// value (no operator such as $gt or $in).
	ByID bool
}

// commandFilters extracts the filters of cmd, the command named name.
func commandFilters(name string, cmd bson.Raw) CommandFilters {
	c := CommandFilters{Command: name}
	if first, err := cmd.IndexErr(0); err == nil {
		c.Collection, _ = first.Value().StringValueOK()
	}
	add := func(v bson.RawValue, present bool) {
		doc, ok := v.DocumentOK()
		if !present || !ok {
			doc = bson.Raw(emptyDocument)
		}
		c.Filters = append(c.Filters, Filter{JSON: doc.String(), ByID: byID(doc)})
	}
	each := func(array, key string) {
		statements, ok := cmd.Lookup(array).ArrayOK()
		if !ok {
			return
		}
		values, _ := statements.Values()
		for _, st := range values {
			if doc, ok := st.DocumentOK(); ok {
				q, err := doc.LookupErr(key)
				add(q, err == nil)
			}
		}
	}
	switch name {
	case "find":
		v, err := cmd.LookupErr("filter")
		add(v, err == nil)
	case "count", "distinct", "findAndModify":
		v, err := cmd.LookupErr("query")
		add(v, err == nil)
	case "update":
		each("updates", "q")
	case "delete":
		each("deletes", "q")
	case "aggregate":
		pipeline, _ := cmd.Lookup("pipeline").ArrayOK()
		c.Filters = append(c.Filters, Filter{JSON: bson.Raw(pipeline).String()})
	}
	return c
}

// emptyDocument is the BSON of {}.
var emptyDocument = []byte{5, 0, 0, 0, 0}

// byID reports whether filter is exactly {_id: v}, v not a document of
// operators.
func byID(filter bson.Raw) bool {
	elems, err := filter.Elements()
	if err != nil || len(elems) != 1 || elems[0].Key() != "_id" {
		return false
	}
	if doc, ok := elems[0].Value().DocumentOK(); ok {
		if first, err := doc.IndexErr(0); err == nil && len(first.Key()) > 0 && first.Key()[0] == '$' {
			return false
		}
	}
	return true
}
