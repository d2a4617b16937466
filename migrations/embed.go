// Package migrations holds ctitui's schema migrations, embedded in the binary so
// that every database ctitui opens can be brought to the current schema without
// any file beside the executable.
package migrations

import "embed"

// FS holds the SQLite migrations under sqlite/ and the PostgreSQL ones under
// postgres/, named the way goose expects (00001_name.sql), with the same
// versions in both (embed_test.go). Use fs.Sub(FS, "sqlite") or
// fs.Sub(FS, "postgres") before handing it to goose: goose looks for
// migrations at the root of the FS it is given.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS

// AdoptionBaseline is the version whose schema internal/db builds by hand when it
// adopts a database made before migrations existed (users, roles, user_roles).
// Migrations after it run through goose as on any other database, so adoption
// never has to learn about them.
const AdoptionBaseline = 2
