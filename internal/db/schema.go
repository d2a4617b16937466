package db

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pressly/goose/v3"
)

// A database file may come from anyone: a backup handed over, a legacy file,
// a restore source. Its triggers run on ctitui's writes and its views on
// reads of them, so only the triggers and views that the embedded
// migrations create may exist in a database ctitui writes. These are the
// pieces that decide which those are.

// codeObject is a trigger or a view: schema that runs code.
type codeObject struct {
	Type  string `json:"type"` // "trigger" or "view"
	Name  string `json:"name"`
	Table string `json:"table"` // the table a trigger fires on; a view's own name
	SQL   string `json:"sql"`   // as sqlite_schema stores it
}

func (o codeObject) String() string {
	if o.Type == "trigger" {
		return fmt.Sprintf("trigger %s on %s", o.Name, o.Table)
	}
	return "view " + o.Name
}

// latestCodeFile lists the triggers and views of the latest schema, one JSON
// object a line. Building them in memory from the migrations takes
// milliseconds, too long for every open; TestLatestCodeFile keeps this file
// equal to what the migrations create (go generate rewrites it).
//
//go:generate go test -run TestLatestCodeFile -update .
//go:embed schema_code.jsonl
var latestCodeFile []byte

// latestCode returns the triggers and views of the latest schema.
var latestCode = sync.OnceValue(func() []codeObject {
	var out []codeObject
	sc := bufio.NewScanner(bytes.NewReader(latestCodeFile))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o codeObject
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			panic(fmt.Sprintf("schema_code.jsonl: %v", err)) // embedded and tested
		}
		out = append(out, o)
	}
	return out
})

// referenceCode returns the triggers and views that the migrations up to
// version create.
func referenceCode(ctx context.Context, version int64) ([]codeObject, error) {
	switch {
	case version == LatestVersion():
		return latestCode(), nil
	case version <= 0: // goose's table, no migration applied yet
		return nil, nil
	}
	ref, err := referenceDB(ctx, version)
	if err != nil {
		return nil, err
	}
	defer ref.Close()
	return readCode(ctx, ref)
}

// referenceDB builds, in a private in-memory database, the schema that the
// migrations up to version create. The caller closes it.
func referenceDB(ctx context.Context, version int64) (*sql.DB, error) {
	ref, err := sql.Open("sqlite", "file:ctitui-reference?mode=memory")
	if err != nil {
		return nil, err
	}
	ref.SetMaxOpenConns(1) // one connection: every one would get its own memory database
	p, err := goose.NewProvider(goose.DialectSQLite3, ref, migrationsFS(), goose.WithLogger(goose.NopLogger()))
	if err != nil {
		ref.Close()
		return nil, err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		ref.Close()
		return nil, fmt.Errorf("build reference schema: %w", err)
	}
	return ref, nil
}

// readCode lists the triggers and views of the main schema of q.
func readCode(ctx context.Context, q queryer) ([]codeObject, error) {
	rows, err := q.QueryContext(ctx, `SELECT type, name, tbl_name, COALESCE(sql, '') FROM main.sqlite_schema
		WHERE type IN ('trigger', 'view') ORDER BY type, name`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []codeObject
	for rows.Next() {
		var o codeObject
		if err := rows.Scan(&o.Type, &o.Name, &o.Table, &o.SQL); err != nil {
			return nil, translate(err)
		}
		out = append(out, o)
	}
	return out, translate(rows.Err())
}

// unknownCode returns the objects of have that are not in want exactly: a
// trigger of ctitui's name whose body differs is as foreign as any other.
func unknownCode(have, want []codeObject) []codeObject {
	var out []codeObject
	for _, o := range have {
		if !slices.Contains(want, o) {
			out = append(out, o)
		}
	}
	return out
}

// ErrUnknownSchema reports triggers or views that ctitui did not create.
var ErrUnknownSchema = errors.New("database has triggers or views that ctitui did not create")

// UnknownSchemaError lists the foreign triggers and views of a file, and
// says how to look at them and what removes them.
type UnknownSchemaError struct {
	Path    string
	Objects []codeObject
	Remedy  string // how to go on, e.g. "restore it with --drop-unknown-objects"
}

func (e *UnknownSchemaError) Error() string {
	names := make([]string, len(e.Objects))
	for i, o := range e.Objects {
		names[i] = o.String()
	}
	msg := fmt.Sprintf("%v, which would run on its writes: %s (inspect with: sqlite3 %s '.schema %s')",
		ErrUnknownSchema, strings.Join(names, ", "), shellQuote(e.Path), e.Objects[0].Name)
	if e.Remedy != "" {
		msg += "; " + e.Remedy
	}
	return msg
}

// Is makes errors.Is(err, ErrUnknownSchema) true.
func (e *UnknownSchemaError) Is(target error) bool { return target == ErrUnknownSchema }

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./,:@+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// dropCode drops objects inside tx, before anything else writes: a trigger
// dropped first never fires.
func dropCode(ctx context.Context, tx *sql.Tx, objects []codeObject) error {
	for _, o := range objects {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("DROP %s IF EXISTS main.%s", strings.ToUpper(o.Type), quoteIdent(o.Name))); err != nil {
			return fmt.Errorf("drop %s: %w", o, translate(err))
		}
	}
	return nil
}

// describeCode renders objects for an audit entry or a notice.
func describeCode(objects []codeObject) string {
	names := make([]string, len(objects))
	for i, o := range objects {
		names[i] = o.String()
	}
	return strings.Join(names, ", ")
}
