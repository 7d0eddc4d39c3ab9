// bcsync patch to FerretDB 1.24.2 (devservers/install.ts copies this file into
// internal/backends/sqlite and calls it from collection.Query).
//
// Upstream pushes a filter down to SQLite only when it is exactly {_id: <string>}; everything else reads
// the whole collection and filters in Go. bcsync looks couplings up by the page: {_id: {$in: [...]}} and
// {mapping: <m>, crmId: {$in: [...]}}, which at 100,000 couplings took ~26 s per 5,000-id page. This
// narrows the SQL query with the top-level conditions the indexes can answer (string equality and $in
// of strings on plain field names), so SQLite uses the `_id` index and the indexes created by
// createIndexes (they are built on the same `_ferretdb_sjson->"field"` expressions).
//
// The handler still applies the whole filter in Go to what the query returns, so narrowing is safe as
// long as it never drops a matching document. It would drop one whose field is an array containing the
// value (MongoDB matches array elements; the SQL equality does not), so a field is only pushed down
// when callers never store arrays in it: bcsync's collections never do.
package sqlite

import (
	"fmt"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// bcsyncMaxInValues keeps a pushed-down IN list well under SQLite's bound-parameter limit (32,766).
const bcsyncMaxInValues = 20000

// bcsyncIndexable reports whether v is a scalar whose sjson text SQLite compares exactly.
func bcsyncIndexable(v any) bool {
	switch v.(type) {
	case string, types.ObjectID:
		return true
	default:
		return false
	}
}

// bcsyncPlainField reports whether k names a top-level field (no operator, no dotted path).
func bcsyncPlainField(k string) bool {
	return k != "" && !strings.HasPrefix(k, "$") && !strings.Contains(k, ".") && !strings.ContainsAny(k, "\"\x00")
}

// bcsyncWhereClause returns a WHERE clause and its arguments narrowing the query to the rows that can
// match filter, or "" when no condition can be pushed down.
func bcsyncWhereClause(filter *types.Document) (string, []any) {
	if filter == nil {
		return "", nil
	}

	var conds []string
	var args []any

	for _, k := range filter.Keys() {
		if !bcsyncPlainField(k) {
			continue
		}

		column := fmt.Sprintf("%s->%q", metadata.DefaultColumn, k)
		if k == "_id" {
			column = metadata.IDColumn
		}

		v, err := filter.Get(k)
		if err != nil {
			continue
		}

		if bcsyncIndexable(v) {
			conds = append(conds, column+" = ?")
			args = append(args, string(must.NotFail(sjson.MarshalSingleValue(v))))

			continue
		}

		doc, ok := v.(*types.Document)
		if !ok || doc.Len() != 1 {
			continue
		}

		in, err := doc.Get("$in")
		if err != nil {
			continue
		}

		arr, ok := in.(*types.Array)
		if !ok || arr.Len() == 0 || arr.Len() > bcsyncMaxInValues {
			continue
		}

		values := make([]any, 0, arr.Len())
		for i := 0; i < arr.Len(); i++ {
			e := must.NotFail(arr.Get(i))
			if !bcsyncIndexable(e) {
				values = nil
				break
			}

			values = append(values, string(must.NotFail(sjson.MarshalSingleValue(e))))
		}

		if values == nil {
			continue
		}

		conds = append(conds, column+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(values)), ", ")+")")
		args = append(args, values...)
	}

	if len(conds) == 0 {
		return "", nil
	}

	return " WHERE " + strings.Join(conds, " AND "), args
}
