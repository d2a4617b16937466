// Package postgres is ctitui's PostgreSQL engine: it stores users in a
// PostgreSQL database, in schema ctitui, with the behaviour of the SQLite
// engine (the same keyset listings, search, lockout and audit chain, whose
// entries hash alike in both engines). migrate.go brings a database to the
// schema of migrations/postgres; the Store (open.go) reads and writes it.
//
// ctitui needs sessions of its own: the migration lock is a session
// advisory lock, and DataVersion LISTENs on a session (notify.go). A
// connection pooler in transaction pooling mode (PgBouncer's
// pool_mode=transaction) hands each transaction any server connection and
// breaks both: concurrent first opens could migrate at once, and the
// terminal UI would not see changes made elsewhere. Connect directly, or
// through a pooler in session mode.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// Store is an open ctitui database on a PostgreSQL server, made by Open. It
// implements user.Store: its reads of one user are in store.go, its
// listings in list.go, its write transactions in tx.go, the audit chain in
// chain.go and the lockout policy in settings.go.
type Store struct {
	pool     *pgxpool.Pool
	location string
	// lockTimeout bounds every wait of a write transaction for a lock: the
	// writer lock another ctitui holds, or a row another program holds.
	lockTimeout time.Duration
	// schemaVersion, applied and dropped are what Open found and did.
	schemaVersion int64
	applied       []int64
	dropped       []string
	// changes is the listening connection behind DataVersion (notify.go).
	changes *changeListener
}

var (
	_ user.Store = (*Store)(nil)
	_ db.Store   = (*Store)(nil)
)

// Options tune Open.
type Options struct {
	// MaxConns is the size of the connection pool; 0 keeps pgxpool's
	// default (4, or the number of CPUs if more).
	MaxConns int32
	// LockTimeout bounds how long a write waits for another writer (see
	// writerLockKey) or for a row that another program has locked, after
	// which it fails with ErrLocked; 0 means DefaultLockTimeout.
	LockTimeout time.Duration
	// DropUnknownObjects is a person's consent to remove the triggers and
	// rules on ctitui's tables that ctitui did not create (unknown.go),
	// after keeping their definitions in schema ctitui_backup, instead of
	// refusing the database with db.ErrUnknownSchema.
	DropUnknownObjects bool
	// Notify receives one-line messages meant for a person (what Open
	// dropped, and where it kept it). Nil discards them.
	Notify func(msg string)
}

// DefaultLockTimeout is how long a write waits for a lock unless
// Options.LockTimeout says otherwise: as long as the SQLite engine's busy
// timeout.
const DefaultLockTimeout = 5 * time.Second

// ErrPasswordInURL refuses a connection string that holds a password. The
// message never repeats the string.
var ErrPasswordInURL = errors.New("the database URL holds a password, which would be kept in shell history and shown in process listings: remove it and give the password through PGPASSWORD, ~/.pgpass (PGPASSFILE) or a service file (PGSERVICE)")

// ErrNoDatabase reports that the database named in the URL does not exist
// on the server. ctitui never creates a database: a mistyped name must not
// pass for an empty one. It is package db's, which the commands match
// whichever engine.
var ErrNoDatabase = db.ErrNoDatabase

// IsURL reports whether location names a PostgreSQL database rather than
// a SQLite file: a postgres:// or postgresql:// URL.
func IsURL(location string) bool {
	return strings.HasPrefix(location, "postgres://") || strings.HasPrefix(location, "postgresql://")
}

// passwordKeyword finds a password or sslpassword keyword in a
// keyword/value connection string. It may also match the text of a quoted
// value, which refuses a string that holds no password: safe, and such a
// string is easily rewritten.
var passwordKeyword = regexp.MustCompile(`(?i)(^|\s)(ssl)?password\s*=`)

// checkNoPassword refuses a connection string that holds a password
// (ErrPasswordInURL). It never puts the string, or any part of it, in an
// error.
func checkNoPassword(connString string) error {
	if !IsURL(connString) {
		if passwordKeyword.MatchString(connString) {
			return ErrPasswordInURL
		}
		return nil
	}
	u, err := url.Parse(connString)
	if err != nil {
		// url.Error quotes the URL, password and all.
		return errors.New("the database URL is not a valid URL (postgres://USER@HOST:PORT/DATABASE)")
	}
	if _, set := u.User.Password(); set {
		return ErrPasswordInURL
	}
	for key := range u.Query() {
		if k := strings.ToLower(key); k == "password" || k == "sslpassword" {
			return ErrPasswordInURL
		}
	}
	return nil
}

// Open connects to the PostgreSQL database that connString names (a
// postgres:// or postgresql:// URL, or a keyword/value string such as
// "host=db dbname=ctitui") and brings it to the current schema. The
// password comes from PGPASSWORD, ~/.pgpass or a service file, never from
// connString, which is refused if it holds one (ErrPasswordInURL). A
// database that does not exist is refused (ErrNoDatabase) and never
// created. Every session sets search_path=ctitui, public, timezone=UTC,
// application_name=ctitui and plan_cache_mode=force_custom_plan.
func Open(ctx context.Context, connString string, opts Options) (*Store, error) {
	s, cfg, err := connect(ctx, connString, opts, false)
	if err != nil {
		return nil, err
	}
	if err := s.prepare(ctx, opts); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("open database %s: %w", s.location, translate(err))
	}
	if err := s.startListening(ctx, cfg.ConnConfig); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("open database %s: %w", s.location, translate(err))
	}
	return s, nil
}

// prepare refuses or removes the unknown objects of a ctitui database,
// adopts a dashboard's database, migrates, and records what it did.
func (s *Store) prepare(ctx context.Context, opts Options) error {
	// Before migrating: a foreign trigger would run on the migrations'
	// writes too. A dashboard's database is adoption's to judge: it
	// refuses the dashboard's own triggers on the tables it adopts.
	if v, err := databaseVersion(ctx, s.pool); err != nil {
		return err
	} else if v > 0 {
		if err := s.checkUnknownObjects(ctx, opts); err != nil {
			return err
		}
	}
	before, err := appliedVersions(ctx, s.pool)
	if err != nil {
		return err
	}
	if err := s.adoptThenMigrate(ctx); err != nil {
		return err
	}
	after, err := appliedVersions(ctx, s.pool)
	if err != nil {
		return err
	}
	for _, v := range after {
		if v > 0 && !slices.Contains(before, v) {
			s.applied = append(s.applied, v)
		}
	}
	s.schemaVersion, err = databaseVersion(ctx, s.pool)
	return err
}

// OpenReadOnly connects to the PostgreSQL database that connString names,
// with the URL rules of Open, only to read it: it creates, adopts, migrates
// and repairs nothing (a database that needs any of it is
// db.ErrSchemaTooOld, one newer than this binary db.ErrSchemaTooNew), and
// every session sets default_transaction_read_only, so that any write fails
// with db.ErrReadOnly.
func OpenReadOnly(ctx context.Context, connString string, opts Options) (*Store, error) {
	s, cfg, err := connect(ctx, connString, opts, true)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Store, error) {
		s.pool.Close()
		return nil, fmt.Errorf("open database %s: %w", s.location, translate(err))
	}
	v, err := databaseVersion(ctx, s.pool)
	if err != nil {
		return fail(err)
	}
	latest := LatestVersion()
	switch {
	case v == 0:
		return fail(fmt.Errorf("%w: it holds no ctitui schema yet (schema %s with goose's version table); open it once for writing (ctitui migrate) to create or adopt it",
			db.ErrSchemaTooOld, schemaName))
	case v < latest:
		return fail(fmt.Errorf("%w: the database is at schema version %d, this ctitui migrates to %d; run 'ctitui migrate' first",
			db.ErrSchemaTooOld, v, latest))
	case v > latest:
		return fail(fmt.Errorf("%w: the database is at schema version %d, this ctitui knows up to %d; use a newer ctitui",
			db.ErrSchemaTooNew, v, latest))
	}
	s.schemaVersion = v
	if err := s.startListening(ctx, cfg.ConnConfig); err != nil {
		return fail(err)
	}
	return s, nil
}

// connect checks connString, makes the pool with ctitui's session settings
// (read-only ones when readOnly) and connects once, so that a wrong address
// or a missing database is reported now, in words.
func connect(ctx context.Context, connString string, opts Options, readOnly bool) (*Store, *pgxpool.Config, error) {
	if err := checkNoPassword(connString); err != nil {
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgconn redacts passwords from its message, and the string holds
		// none anyway (checked above). Its error type stays inside.
		return nil, nil, fmt.Errorf("open database: %s", err.Error())
	}
	params := cfg.ConnConfig.RuntimeParams
	params["search_path"] = "ctitui, public"
	params["timezone"] = "UTC"
	params["application_name"] = "ctitui"
	// pgx prepares each statement once per connection; after five runs the
	// server may switch it to a generic plan, made without the values. A
	// search term or a role decides the plan (the trigram index for a rare
	// term, the role's links for a rare role), so every run is planned with
	// its values: a fraction of a millisecond each.
	params["plan_cache_mode"] = "force_custom_plan"
	if readOnly {
		// Every transaction of every session is read-only: the server,
		// not ctitui's care, keeps a read-only open from writing.
		params["default_transaction_read_only"] = "on"
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	s := &Store{location: location(&cfg.ConnConfig.Config), lockTimeout: opts.LockTimeout}
	if s.lockTimeout <= 0 {
		s.lockTimeout = DefaultLockTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("open database %s: %w", s.location, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "3D000" {
			return nil, nil, fmt.Errorf("open database %s: %w %q on this server; ctitui never creates one: create it first (createdb %s), or check the name",
				s.location, ErrNoDatabase, cfg.ConnConfig.Database, shellWord(cfg.ConnConfig.Database))
		}
		return nil, nil, fmt.Errorf("open database %s: %w", s.location, translate(err))
	}
	s.pool = pool
	return s, cfg, nil
}

// SchemaVersion is the database's schema version after Open.
func (s *Store) SchemaVersion() int64 { return s.schemaVersion }

// LatestVersion is the schema version this binary migrates databases to.
func (s *Store) LatestVersion() int64 { return LatestVersion() }

// AppliedAtOpen lists the migration versions Open applied, oldest first,
// the versions an adoption recorded as built by hand included.
func (s *Store) AppliedAtOpen() []int64 { return slices.Clone(s.applied) }

// DroppedAtOpen lists the triggers and rules that Open removed with the
// person's consent (Options.DropUnknownObjects).
func (s *Store) DroppedAtOpen() []string { return slices.Clone(s.dropped) }

// Close closes the connections.
func (s *Store) Close() error {
	s.changes.close()
	s.pool.Close()
	return nil
}

// Location is the address of the database as a URL without any password,
// for headers and messages: postgres://USER@HOST:PORT/DATABASE.
func (s *Store) Location() string { return s.location }

// String returns Location.
func (s *Store) String() string { return s.location }

// location renders the address cfg connects to, without its password.
func location(cfg *pgconn.Config) string {
	u := url.URL{Scheme: "postgres", Path: "/" + cfg.Database}
	if cfg.User != "" {
		u.User = url.User(cfg.User)
	}
	host := cfg.Host
	switch {
	case strings.HasPrefix(host, "/"):
		// A Unix socket's directory cannot be the URL's host; left
		// unescaped where it can be, for people to read.
		u.RawQuery = "host=" + host
		if strings.ContainsAny(host, "&#%+ ") {
			u.RawQuery = url.Values{"host": {host}}.Encode()
		}
		if cfg.Port != 0 && cfg.Port != 5432 {
			u.RawQuery += "&port=" + strconv.Itoa(int(cfg.Port))
		}
		return u.String()
	case strings.Contains(host, ":"):
		host = "[" + host + "]" // an IPv6 address
	}
	if cfg.Port != 0 && cfg.Port != 5432 {
		host += ":" + strconv.Itoa(int(cfg.Port))
	}
	u.Host = host
	return u.String()
}

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
