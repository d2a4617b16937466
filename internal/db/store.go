// Package db is what the commands know of a ctitui database, whichever
// engine keeps it: the Store interface and the contracts every engine keeps,
// the options of an open, the reports that doctor, audit verify and migrate
// status print, the sentinel errors commands match with errors.Is, and the
// audit chain's hashing and verification (ChainWalk, CheckAnchor), which
// every engine uses alike so that one chain verifies the same wherever it is
// stored.
//
// It holds no SQL and imports no driver. The engines live below it and
// import it: sqlite (a file, today's engine) and postgres (a postgres://
// URL). Package engine opens a location with the right one; commands hold
// the db.Store it returns, and reach for an engine's own package only for
// what exists on that engine alone (restoring a file over a file, the demo's
// file, the rowid order of SQLite).
package db

import (
	"context"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// Store is an open ctitui database as the commands use it. Open it with
// engine.Open or engine.OpenReadOnly; close it with Close.
//
// Every engine keeps these contracts. They are what makes the audit chain
// and the account rules (lockout, the last admin, unique and look-alike
// emails) hold with many ctitui processes writing at once, and what keeps a
// database that ctitui does not fully understand from being changed:
//
//   - Opening migrates. Open brings the database to this binary's schema
//     before anything else reads it: pending migrations are applied, each in
//     its own transaction, serialised across processes by a lock that the
//     waiter blocks on (not one polled: goose's PostgreSQL locker polls every
//     5 s) and that bounds its wait, so that concurrent first opens neither
//     fail nor apply a migration twice. A database whose schema is newer than
//     this binary knows is refused untouched (ErrSchemaTooNew): goose's Up
//     would silently do nothing there. A database holding triggers, views or
//     rules ctitui did not create is refused (ErrUnknownSchema) unless
//     Options.DropUnknownObjects, since they would run on ctitui's writes.
//     OpenReadOnly never changes anything: nothing is created, migrated or
//     repaired (a database that needs migrating is ErrSchemaTooOld), and its
//     connections cannot write.
//
//   - One writer. Every write transaction (user.Store's WithTx and
//     WithBulkTx, and every write the methods below make) holds the
//     database's one writer lock from its start, before its first read:
//     BEGIN IMMEDIATE on SQLite, pg_advisory_xact_lock as the first statement
//     on PostgreSQL. Appending to the audit chain reads its head and writes
//     after it; two writers that both read the head fork the chain, and
//     locking the head row with FOR UPDATE does not stop them (measured on
//     PostgreSQL: a waiter re-checks the old head row, which still
//     qualifies). Taking the lock first also means two ctitui writers never
//     deadlock each other.
//
//   - Reads in a write transaction lock what they read. A check and the
//     write that depends on it (the failed-login counter, the last enabled
//     admin, a free email) see the same data as the commit: user.Tx's reads
//     lock the rows they return (FOR UPDATE on PostgreSQL; SQLite's writer
//     lock already covers the whole file). Without it 50 concurrent failed
//     logins counted 14 (measured).
//
//   - No automatic retries. A transaction that fails returns its error,
//     translated (a lock not had in time is ErrLocked), and the change is not
//     made; the caller decides what to do. The one-writer lock is what makes
//     transactions succeed, not a retry loop, which would re-run fn after its
//     decisions were made on data that has since changed (and SERIALIZABLE
//     with retries cost 7,826 retries for 1,600 appends, measured).
//
//   - A change and its audit entry commit together. Every mutation's audit
//     entries are written in its transaction; each extends the hash chain
//     (AuditEntryHash) and moves its head record in the same transaction, so
//     that the log never misses a change that happened and never records one
//     that did not.
//
//   - Driver errors never leave the engine. They are translated into the
//     sentinels of this package and of package user (ErrNotFound,
//     *user.ExistsError, ...), wrapped with %w and a lowercase operation
//     prefix; no caller sees an engine's error code.
//
//   - Times are stored in UTC at millisecond precision and read back in UTC,
//     so that a user, a cursor or an audit entry reads back as it was written
//     (user.FormatTime is the text form).
type Store interface {
	user.Store

	// Location says where the data lives, for people: the file's path, or
	// the URL without its password.
	Location() string
	// SchemaVersion is the database's schema version after Open.
	SchemaVersion() int64
	// LatestVersion is the schema version this binary migrates the engine's
	// databases to. Both engines number their migrations alike.
	LatestVersion() int64
	// AppliedAtOpen lists the migration versions Open applied, oldest first.
	AppliedAtOpen() []int64
	// DroppedAtOpen lists the foreign triggers and views that Open removed,
	// with the person's consent (Options.DropUnknownObjects).
	DroppedAtOpen() []string
	// Migrations reports every migration this binary knows and whether the
	// database has it, oldest first.
	Migrations(ctx context.Context) ([]MigrationStatus, error)
	// DataVersion returns a number that changes whenever another connection,
	// in this process or another, commits a change. The terminal UI polls it
	// to show changes made elsewhere; values are only compared with each
	// other, never read as a count.
	DataVersion(ctx context.Context) (int64, error)

	// Backup writes a consistent, checked, private copy of the database to
	// dst, which must not exist yet, or to a name of the engine's choosing
	// when dst is "", and returns where it wrote it. It works while other
	// connections and processes write.
	Backup(ctx context.Context, dst string, now time.Time) (string, error)
	// Doctor checks the storage (integrity, the schema against the one the
	// migrations create, the columns derived from others, the audit chain)
	// and, with opts.Fix, makes the safe repairs after a backup, audited. It
	// judges no account: user.Service.Checkup does.
	Doctor(ctx context.Context, opts DoctorOptions) (DoctorReport, error)

	// VerifyAuditChain walks the audit log oldest first and reports the
	// first entry that breaks the chain, streaming the rows.
	VerifyAuditChain(ctx context.Context) (ChainReport, error)
	// CheckAuditAnchor checks an anchor noted from an earlier verify,
	// "ID:HASH" (ErrBadAnchor when it is not of that form): the entry must
	// still have that hash and every entry before it must verify up to it.
	CheckAuditAnchor(ctx context.Context, anchor string) error
	// RestartAuditChain records the break in a broken chain and begins a new
	// segment sealed over every entry before it (SegmentSeal), after keeping
	// a copy of the database as evidence, in one write transaction that
	// commits only if the chain is whole after it. A whole chain is
	// ErrChainWhole and a reason that is not one line of text
	// ErrRestartReason; nothing is written then.
	RestartAuditChain(ctx context.Context, opts RestartOptions) (RestartResult, error)

	// Close closes the database. Every change was committed before the
	// method that made it returned.
	Close() error
}

// Options tune an open, whichever the engine.
type Options struct {
	// Notify receives one-line messages meant for a person, such as what
	// adopting a legacy database did and where its backup is. Nil discards them.
	Notify func(msg string)
	// Now stamps backups and audit entries written while opening. Nil means time.Now.
	Now func() time.Time
	// Actor is recorded in audit entries written while opening.
	Actor string
	// DropUnknownObjects is a person's consent to remove the triggers and
	// views of the database that ctitui did not create, after a backup that
	// keeps them, instead of refusing the database.
	DropUnknownObjects bool
}
