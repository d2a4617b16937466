//go:build unix

// Command benchdb builds a ctitui database of N synthetic users, fast, for
// benchmarks (scripts/bench.sh, the Go benchmarks of internal/db/sqlite and
// internal/ui):
//
//	go run ./cmd/benchdb -n 1000000 -o /tmp/bench.db
//
// The file is first created and migrated by sqlite.Open, so it is a real ctitui
// database at the current schema; the users are then written in one
// transaction through plain SQL on a second connection, roles before each
// user (the user_roles foreign key is deferred), so updated_at stays as
// written. Each user's role_names (migration 11) is written with the row,
// as the schema's triggers would compute it. user_roles_touch_on_insert and
// user_roles_names_insert, which would find no user to update, and
// users_role_names_insert, which would only confirm the names written, are
// dropped for the load and put back from their own SQL before the commit,
// as are the secondary indexes, built once from sorted data; verify then
// compares every user's role_names with user_roles.
//
// The users are deterministic for a given -seed: user i (counting from 1, in
// created_at order, which is also rowid order) has a local part that ends in
// i, so "<i>@" finds exactly that user when i is above N/10, and names, domains,
// roles, times and states are drawn from small weighted lists, some of them
// non-ASCII.
//
// The email search index (FTS5, trigram) is the largest cost. Dropping its
// triggers for the inserts and running FTS5's 'rebuild' once afterwards is
// no faster than letting the triggers index each row: at 1,000,000 users,
// in two runs each, 77.8s and 66.6s of CPU against 67.8s and 69.2s (the
// rebuild reads the whole users table back after the inserts; what wins
// depends on what else is competing for the caches). -fts trigger, the
// default, builds the index the way ctitui's own writes do; -fts rebuild
// keeps the other way to compare.
//
// Every row shares ONE precomputed argon2id hash of
// SharedPassword: fine for a benchmark file, never done by the product,
// which hashes each password with its own random salt.
package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	_ "modernc.org/sqlite"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

// SharedPassword is the password of every synthetic user.
const SharedPassword = "benchmark password shared by all synthetic users"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	n      int
	out    string
	audit  bool
	seed   uint64
	fts    string // "rebuild" or "trigger"
	batch  int
	force  bool
	quiet  bool
	verify bool
	prof   string

	lateIndexes bool
}

func run(args []string, stdout, stderr io.Writer) (code int) {
	var c config
	fs := flag.NewFlagSet("benchdb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.n, "n", 1_000_000, "number of users")
	fs.StringVar(&c.out, "o", "", "database file to create (required)")
	fs.BoolVar(&c.audit, "audit", false, "also write one sealed 'register' audit entry per user")
	fs.Uint64Var(&c.seed, "seed", 1, "random seed; the same seed gives the same users")
	fs.StringVar(&c.fts, "fts", "trigger", "how the email search index is filled: trigger (the search triggers index each row as it is inserted) or rebuild (drop them, insert, rebuild the index once)")
	fs.IntVar(&c.batch, "batch", 64, "users per multi-row INSERT")
	fs.BoolVar(&c.force, "f", false, "replace the output file if it exists")
	fs.BoolVar(&c.quiet, "q", false, "print only the summary line")
	fs.BoolVar(&c.verify, "verify", true, "check the result (counts, index and foreign keys) after writing")
	fs.BoolVar(&c.lateIndexes, "late-indexes", true, "drop the secondary indexes for the load and create them after it (faster)")
	fs.StringVar(&c.prof, "cpuprofile", "", "write a CPU profile of the build to this file")
	fs.Usage = func() {
		tellf(stderr, "usage: benchdb -n N -o FILE [-audit] [-seed S] [-fts rebuild|trigger] [-f]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case c.out == "":
		tellf(stderr, "benchdb: -o FILE is required\n")
		return 2
	case c.n < 0:
		tellf(stderr, "benchdb: -n must be 0 or more\n")
		return 2
	case c.fts != "rebuild" && c.fts != "trigger":
		tellf(stderr, "benchdb: -fts must be rebuild or trigger\n")
		return 2
	case c.batch < 1 || c.batch > 1000:
		tellf(stderr, "benchdb: -batch must be 1 to 1000\n")
		return 2
	}
	if c.prof != "" {
		f, err := os.Create(c.prof)
		if err != nil {
			tellf(stderr, "benchdb: %v\n", err)
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close() //nolint:errcheck // the profile did not start: nothing was written to lose
			tellf(stderr, "benchdb: %v\n", err)
			return 1
		}
		defer func() {
			pprof.StopCPUProfile()
			// The profile is written as the file closes: a failure there is
			// a profile cut short.
			if err := f.Close(); err != nil {
				tellf(stderr, "benchdb: write the CPU profile: %v\n", err)
				code = 1
			}
		}()
	}
	if err := build(context.Background(), c, stdout); err != nil {
		tellf(stderr, "benchdb: %v\n", err)
		return 1
	}
	return 0
}

// tellf writes a message for the person to stderr. A failed write is not
// reported: stderr is where benchdb reports failures, so there is nowhere
// left to report it.
func tellf(stderr io.Writer, format string, args ...any) {
	fmt.Fprintf(stderr, format, args...) //nolint:errcheck // see above: nowhere left to report it
}

func build(ctx context.Context, c config, stdout io.Writer) error {
	logf := func(format string, args ...any) {
		if !c.quiet {
			// Progress for the person watching; the summary line at the
			// end, which is what scripts read, is checked.
			fmt.Fprintf(stdout, format+"\n", args...) //nolint:errcheck // see above
		}
	}
	if _, err := os.Stat(c.out); err == nil {
		if !c.force {
			return fmt.Errorf("%s exists; pass -f to replace it", c.out)
		}
		for _, suffix := range []string{"", "-wal", "-shm", "-journal", ".lock"} {
			if err := os.Remove(c.out + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}

	// A real ctitui file: created, migrated and sealed by the product.
	start := time.Now()
	store, err := sqlite.Open(ctx, c.out, db.Options{Actor: "benchdb"})
	if err != nil {
		return err
	}
	version := store.SchemaVersion()
	if err := store.Close(); err != nil {
		return err
	}

	// One hash for every row (see the package comment).
	hash, err := password.NewHasher(password.DefaultParams).Hash(SharedPassword)
	if err != nil {
		return err
	}

	raw, err := sql.Open("sqlite", bulkDSN(c.out))
	if err != nil {
		return err
	}
	// raw is not closed: the process ends right after the checkpoint, and
	// closing would hand each of the cache's pages back to the OS one
	// madvise call at a time (1.5s CPU per 100,000 users in a profile).
	// One connection: the transaction, its statements and the checks share it.
	raw.SetMaxOpenConns(1)

	w, err := newWriter(ctx, raw, c, hash)
	if err != nil {
		return err
	}
	logf("writing %d users to %s (schema v%d, fts=%s, batch=%d, late indexes %v)", c.n, c.out, version, c.fts, c.batch, c.lateIndexes)
	var phases []string
	phase := func(name string, fn func() error) error {
		t, cpu := time.Now(), cpuTime()
		if err := fn(); err != nil {
			return err
		}
		phases = append(phases, fmt.Sprintf("%s %.1fs (%.1fs CPU)", name, time.Since(t).Seconds(), (cpuTime()-cpu).Seconds()))
		return nil
	}
	err = phase("inserts", func() error {
		ins := time.Now()
		return w.writeAll(ctx, func(done int) {
			logf("  %d users, %.0f rows/s", done, float64(done)/time.Since(ins).Seconds())
		})
	})
	if err == nil {
		err = phase("indexes+triggers", func() error { return w.finish(ctx) })
	}
	if err != nil {
		w.tx.Rollback() //nolint:errcheck // err is the failure to report; the file is built again anyway
		return err
	}
	if err := phase("commit", w.tx.Commit); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	// Fold the WAL into the file so that the first reader does not pay
	// for it. No ANALYZE: ctitui never runs it, so neither may the file
	// its plans are measured on.
	err = phase("checkpoint", func() error {
		_, err := raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	total := time.Since(start)
	totalCPU := cpuTime()
	if c.verify {
		if err := phase("verify", func() error { return verify(ctx, raw, c) }); err != nil {
			return err
		}
	}
	info, _ := os.Stat(c.out)
	var size int64
	if info != nil {
		size = info.Size()
	}
	logf("  %s", strings.Join(phases, ", "))
	_, err = fmt.Fprintf(stdout, "benchdb: %d users in %.1fs (%.0f rows/s; %.1fs CPU), %d MiB, fts=%s: %s\n",
		c.n, total.Seconds(), float64(c.n)/total.Seconds(), totalCPU.Seconds(), size>>20, c.fts, c.out)
	return err
}

// cpuTime is the CPU time (user and system) this process has used: on a
// shared machine it says more about the cost than the wall time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bulkDSN opens the file for the bulk write: no fsync (a benchmark file that
// a crash spoils is simply built again) and a page cache large enough for
// the indexes that random UUIDs and emails write all over.
func bulkDSN(path string) string {
	return "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=foreign_keys(1)" +
		"&_pragma=cache_size(-524288)&_pragma=temp_store(MEMORY)&_txlock=immediate"
}

// writer writes the synthetic rows inside one transaction.
type writer struct {
	c       config
	tx      *sql.Tx
	hash    string
	roleIDs map[user.Role]int64
	gen     *generator

	userStmts map[int]*sql.Stmt // by rows per statement
	roleStmts map[int]*sql.Stmt
	auditStmt *sql.Stmt

	triggers  []string // the SQL of the triggers dropped for the load
	indexes   []string // the SQL of the indexes dropped for the load
	auditPrev string
	auditID   int64
}

func newWriter(ctx context.Context, raw *sql.DB, c config, hash string) (*writer, error) {
	w := &writer{c: c, hash: hash, roleIDs: map[user.Role]int64{},
		userStmts: map[int]*sql.Stmt{}, roleStmts: map[int]*sql.Stmt{},
		gen: newGenerator(c.seed, c.n)}
	if err := readRoles(ctx, raw, w.roleIDs); err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	for _, r := range user.Roles {
		if _, ok := w.roleIDs[r]; !ok {
			return nil, fmt.Errorf("role %s missing from the roles table", r)
		}
	}
	var users int
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil {
		return nil, err
	}
	if users != 0 {
		return nil, fmt.Errorf("the new database already holds %d users", users)
	}
	var err error
	if w.tx, err = raw.BeginTx(ctx, nil); err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	// Triggers that fire on these inserts come off for the bulk write and
	// go back, as the file itself wrote them, before the commit:
	// user_roles_touch_on_insert would find no user to touch (roles go in
	// first) but makes every roles statement keep a statement journal, and
	// with -fts rebuild the search triggers give way to one rebuild.
	drop := `name IN ('user_roles_touch_on_insert', 'user_roles_names_insert', 'users_role_names_insert')`
	if c.fts == "rebuild" {
		drop += ` OR name LIKE 'users\_email\_search\_%' ESCAPE '\'`
	}
	names, texts, err := schemaObjects(ctx, w.tx, `SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND (`+drop+`) ORDER BY name`)
	if err != nil {
		return nil, err
	}
	w.triggers = texts
	if want := map[string]int{"rebuild": 6, "trigger": 3}[c.fts]; len(names) != want {
		return nil, fmt.Errorf("found triggers %v; want %d", names, want)
	}
	for _, name := range names {
		if _, err := w.tx.ExecContext(ctx, `DROP TRIGGER `+name); err != nil {
			return nil, err
		}
	}
	if c.lateIndexes {
		// Build the secondary indexes once, from sorted data, instead of
		// inserting into them at random a million times.
		names, texts, err := schemaObjects(ctx, w.tx, `SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('users', 'user_roles', 'audit_log') ORDER BY name`)
		if err != nil {
			return nil, err
		}
		w.indexes = texts
		for _, name := range names {
			if _, err := w.tx.ExecContext(ctx, `DROP INDEX `+name); err != nil {
				return nil, err
			}
		}
	}
	if c.audit {
		if err := w.tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM audit_log`).Scan(&w.auditID); err != nil {
			return nil, err
		}
		var prev sql.NullString
		err := w.tx.QueryRowContext(ctx, `SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		w.auditPrev = prev.String
		if w.auditStmt, err = w.tx.PrepareContext(ctx, `INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// readRoles reads the id of each role into ids.
func readRoles(ctx context.Context, raw *sql.DB, ids map[user.Role]int64) error {
	rows, err := raw.QueryContext(ctx, `SELECT id, name FROM roles`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		ids[user.Role(name)] = id
	}
	return rows.Err()
}

// schemaObjects returns the names and the SQL of the schema objects that
// query, which selects name and sql from sqlite_schema, finds.
func schemaObjects(ctx context.Context, tx *sql.Tx, query string) (names, texts []string, err error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, text string
		if err := rows.Scan(&name, &text); err != nil {
			return nil, nil, err
		}
		names = append(names, name)
		texts = append(texts, text)
	}
	return names, texts, rows.Err()
}

const userColumns = 13

func (w *writer) userStmt(ctx context.Context, n int) (*sql.Stmt, error) {
	if s, ok := w.userStmts[n]; ok {
		return s, nil
	}
	// Only "?" placeholders are added to the SQL.
	q := `INSERT OR ROLLBACK INTO users (rowid, id, email, email_normalized, email_skeleton, hashed_password, created_at, updated_at, disabled_at, last_login_at, failed_logins, locked_until, role_names) VALUES ` + //nolint:gosec // G202: see above
		placeholders(n, userColumns)
	s, err := w.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	w.userStmts[n] = s
	return s, nil
}

func (w *writer) roleStmt(ctx context.Context, n int) (*sql.Stmt, error) {
	if s, ok := w.roleStmts[n]; ok {
		return s, nil
	}
	// Only "?" placeholders are added to the SQL.
	s, err := w.tx.PrepareContext(ctx, `INSERT OR ROLLBACK INTO user_roles (user_id, role_id) VALUES `+placeholders(n, 2)) //nolint:gosec // G202: see above
	if err != nil {
		return nil, err
	}
	w.roleStmts[n] = s
	return s, nil
}

// placeholders renders n rows of cols "?" each: (?, ?), (?, ?).
func placeholders(n, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

func (w *writer) writeAll(ctx context.Context, progress func(done int)) error {
	users := make([]synthUser, 0, w.c.batch)
	userArgs := make([]any, 0, w.c.batch*userColumns)
	roleArgs := make([]any, 0, w.c.batch*4)
	for done := 0; done < w.c.n; {
		users = users[:0]
		for len(users) < w.c.batch && done+len(users) < w.c.n {
			users = append(users, w.gen.next())
		}
		userArgs, roleArgs = userArgs[:0], roleArgs[:0]
		for _, u := range users {
			if u.seq%1009 == 1 {
				// A sample is enough to keep the generator honest.
				if _, err := user.ValidateEmail(u.email); err != nil {
					return fmt.Errorf("generated user %d: %w", u.seq, err)
				}
			}
			for _, r := range u.roles {
				roleArgs = append(roleArgs, u.id, w.roleIDs[r])
			}
			userArgs = append(userArgs, u.rowid, u.id, u.email, u.normalized, u.skeleton, w.hash, u.created, u.updated,
				nullString(u.disabled), nullString(u.lastLogin), u.failedLogins, nil, user.JoinRoles(user.SortRoles(u.roles)))
		}
		// Roles first: see the package comment. The statements are kept for
		// the next batch of the same size, and closed with w.tx, on which
		// they were prepared, when it commits or rolls back.
		rs, err := w.roleStmt(ctx, len(roleArgs)/2) //nolint:sqlclosecheck // see above
		if err != nil {
			return fmt.Errorf("prepare roles insert: %w", err)
		}
		if _, err := rs.ExecContext(ctx, roleArgs...); err != nil {
			return fmt.Errorf("insert roles: %w", err)
		}
		us, err := w.userStmt(ctx, len(users)) //nolint:sqlclosecheck // closed with w.tx, see above
		if err != nil {
			return fmt.Errorf("prepare users insert: %w", err)
		}
		if _, err := us.ExecContext(ctx, userArgs...); err != nil {
			return fmt.Errorf("insert users: %w", err)
		}
		if w.c.audit {
			for _, u := range users {
				if err := w.appendAudit(ctx, u); err != nil {
					return err
				}
			}
		}
		before := done
		done += len(users)
		if done/200_000 != before/200_000 {
			progress(done / 200_000 * 200_000)
		}
	}
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// appendAudit writes u's register entry, sealed into the audit chain by
// ctitui's own hash, so that `ctitui audit verify` accepts the file.
func (w *writer) appendAudit(ctx context.Context, u synthUser) error {
	w.auditID++
	e := user.AuditEntry{Actor: "benchdb", Action: user.ActionRegister, UserID: u.id, UserEmail: u.email,
		Details: "roles=" + user.JoinRoles(u.roles)}
	var err error
	if e.At, err = time.Parse(user.TimeLayout, u.created); err != nil {
		return err
	}
	sum := db.AuditEntryHash(w.auditPrev, w.auditID, e)
	if _, err := w.auditStmt.ExecContext(ctx, w.auditID, u.created, e.Actor, string(e.Action), u.id, u.email, e.Details, w.auditPrev, sum); err != nil {
		return fmt.Errorf("insert audit entry: %w", err)
	}
	w.auditPrev = sum
	return nil
}

// finish fills the email search index from users in one pass (with -fts
// rebuild) and puts back the triggers dropped before the inserts.
func (w *writer) finish(ctx context.Context) error {
	if w.c.audit {
		// The head record names the newest entry, as ctitui writes it with
		// every entry it appends.
		if _, err := w.tx.ExecContext(ctx, `UPDATE audit_head SET last_id = ?, last_hash = ? WHERE id = 1`, w.auditID, w.auditPrev); err != nil {
			return fmt.Errorf("record the audit head: %w", err)
		}
	}
	for _, ix := range w.indexes {
		if _, err := w.tx.ExecContext(ctx, ix); err != nil {
			return fmt.Errorf("recreate index: %w", err)
		}
	}
	if w.c.fts == "rebuild" {
		if err := w.rebuildSearch(ctx); err != nil {
			return err
		}
	}
	for _, t := range w.triggers {
		if _, err := w.tx.ExecContext(ctx, t); err != nil {
			return fmt.Errorf("recreate trigger: %w", err)
		}
	}
	return nil
}

// rebuildSearch fills the email search index from users in one pass.
func (w *writer) rebuildSearch(ctx context.Context) error {
	if _, err := w.tx.ExecContext(ctx, `INSERT INTO users_email_search (users_email_search) VALUES ('rebuild')`); err != nil {
		return fmt.Errorf("rebuild search index: %w", err)
	}
	return nil
}

// verify checks what was written: the counts, the roles, the foreign keys,
// the search index against users, the triggers, and the rowid order.
func verify(ctx context.Context, raw *sql.DB, c config) error {
	var users, noRole, triggers int
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil {
		return err
	}
	if users != c.n {
		return fmt.Errorf("verify: %d users; want %d", users, c.n)
	}
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM user_roles WHERE user_id = u.id)`).Scan(&noRole); err != nil {
		return err
	}
	if noRole != 0 {
		return fmt.Errorf("verify: %d users without a role", noRole)
	}
	var dangling int
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&dangling); err != nil {
		return err
	}
	if dangling != 0 {
		return errors.New("verify: foreign_key_check reports violations")
	}
	if _, err := raw.ExecContext(ctx, `INSERT INTO users_email_search (users_email_search, rank) VALUES ('integrity-check', 1)`); err != nil {
		return fmt.Errorf("verify: search index does not match users: %w", err)
	}
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND (name LIKE 'users_email_search_%' OR name IN ('user_roles_touch_on_insert', 'user_roles_names_insert', 'users_role_names_insert'))`).Scan(&triggers); err != nil {
		return err
	}
	if triggers != 6 {
		return fmt.Errorf("verify: %d of the 6 triggers dropped for the load are back", triggers)
	}
	wrong, err := sqlite.CountWrongRoleNames(ctx, raw)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if wrong != 0 {
		return fmt.Errorf("verify: %d users' role_names differ from user_roles", wrong)
	}
	var inOrder bool
	if err := raw.QueryRowContext(ctx, `SELECT in_order FROM users_order`).Scan(&inOrder); err != nil {
		return err
	}
	if !inOrder {
		return errors.New("verify: users_order says the users are not in rowid order")
	}
	if c.n > 0 {
		// The rare-term search the benchmarks use finds exactly one user.
		mid := (c.n + 1) / 2
		var n int
		if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM users_email_search WHERE users_email_search MATCH ?`,
			`"`+strconv.Itoa(mid)+`@"`).Scan(&n); err != nil {
			return err
		}
		if mid >= 100 && n != 1 {
			return fmt.Errorf("verify: %d@ matches %d users; want 1", mid, n)
		}
	}
	return nil
}

// synthUser is one generated row.
type synthUser struct {
	seq                   int   // 1-based, in created_at order
	rowid                 int64 // as ctitui would give it (internal/db/sqlite/order.go)
	id, email, normalized string
	skeleton              string // user.EmailSkeleton, as ctitui records it
	created, updated      string
	disabled, lastLogin   string // "" for NULL
	failedLogins          int
	roles                 []user.Role
}

// Names and domains the emails are drawn from: mostly ASCII, some with
// accents, other scripts and characters that case-fold to more than one
// (ß), as a European CTI team's addresses are.
var (
	firstNames = strings.Fields(`ana ben carla david eva farid gina hugo ines jan kim lena marc nina omar paula
		quentin rosa sven tara ugo vera walter xenia yusuf zoe aiko bruno chloe dmitri emma felix
		hanna ivan julia karim laura mateo noor oscar pia ravi sofia tomas uma viktor wen yara
		élodie françois søren jürgen zoë ömer łukasz şeyma josé maría andré björn chloé renée
		mikaël ingrid ólafur dagný ιωάννα мария дмитрий 美咲 jürgen-peter anne-sophie`)
	lastNames = strings.Fields(`smith jones garcia martin müller schmidt rossi bianchi dubois lefèvre
		nakamura tanaka kowalski nowak novák dvořák jensen hansen strøm øvergaard núñez pérez
		gonzález fernández silva santos costa oliveira ivanov petrov popescu horváth nagy
		andersson johansson nilsson lindqvist virtanen korhonen o'brien mcallister fitzgerald
		weiß straße groß kaya yılmaz demir öztürk çelik ahmed hassan ali khan singh patel
		sharma kumar chen wang li zhang liu yamamoto kim park lee nguyen tran le pham
		cohen levi friedman katz moreau laurent girard bonnet fontaine rousseau vincent
		mercier boyer garnier faure andré roux blanc guerin muller henry roussel nicolas
		perrin morin mathieu clement gauthier dumont lopez fontana esposito romano colombo
		ricci marino greco bruno gallo conti deluca mancini costa giordano rizzo lombardi
		moretti barbieri fabbri ferrari bernard thomas petit robert richard durand leroy`)
)

// sameScriptLastNames gives first names of another script a last name of
// that script: an address mixing scripts in its local part is one ctitui
// refuses (UTS #39), and people write their names in one script. The last
// name is chosen by the Latin one drawn, so the random sequence, and every
// other user, is the same as without it.
var sameScriptLastNames = map[string][]string{
	"Cyrillic": strings.Fields(`иванов петрова смирнов кузнецова попов соколова лебедев новикова`),
	"Greek":    strings.Fields(`παπαδοπούλου γεωργίου νικολάου οικονόμου`),
}

func sameScriptLast(first, last string) string {
	for _, r := range first {
		for script, names := range sameScriptLastNames {
			if unicode.Is(unicode.Scripts[script], r) {
				return names[len(last)%len(names)]
			}
		}
	}
	return last
}

type generator struct {
	rng        *rand.Rand
	n, seq     int
	lastRowid  int64
	start      time.Time
	span, step time.Duration
}

func newGenerator(seed uint64, n int) *generator {
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	span := start.AddDate(3, 0, 0).Sub(start)
	step := span
	if n > 0 {
		step = span / time.Duration(n)
	}
	// A seeded generator on purpose: the same seed gives the same users.
	return &generator{rng: rand.New(rand.NewPCG(seed, 0x62656e636864)), n: n, start: start, span: span, step: max(step, time.Millisecond)} //nolint:gosec // G404: see above
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) next() synthUser {
	g.seq++
	r := g.rng
	u := synthUser{seq: g.seq}

	var id [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			id[i+j] = byte(v >> (8 * j))
		}
	}
	id[6] = id[6]&0x0f | 0x40 // version 4, as uuid.NewString makes them
	id[8] = id[8]&0x3f | 0x80
	h := hex.EncodeToString(id[:])
	u.id = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]

	first, last := g.pick(firstNames), g.pick(lastNames)
	last = sameScriptLast(first, last)
	if r.IntN(100) < 8 {
		first, last = capitalize(first), capitalize(last)
	}
	k := strconv.Itoa(r.IntN(40))
	n := strconv.Itoa(g.seq)
	switch p := r.IntN(100); {
	case p < 55:
		u.email = first + "." + last + "+" + n + "@team-" + k + ".example.org"
	case p < 80:
		u.email = string([]rune(first)[:1]) + last + "." + n + "@intel-" + k + ".example.com"
	case p < 92:
		u.email = first + "-" + last + "-" + n + "@cert-" + k + ".example.eu"
	default:
		u.email = first + "." + last + "+" + n + "@équipe-" + k + ".exemple.fr"
	}
	u.normalized = user.NormalizeEmail(u.email)
	u.skeleton = user.EmailSkeleton(u.email)

	created := g.start.Add(time.Duration(g.seq-1)*g.step + time.Duration(r.Int64N(int64(g.step))))
	created = created.Truncate(time.Millisecond)
	end := g.start.Add(g.span)
	later := func() time.Time {
		if !created.Before(end) {
			return created.Add(time.Millisecond)
		}
		return created.Add(time.Duration(r.Int64N(int64(end.Sub(created))))).Truncate(time.Millisecond).Add(time.Millisecond)
	}
	updated := created
	if r.IntN(100) < 45 {
		updated = later()
	}
	if r.IntN(100) < 4 {
		if updated.Equal(created) {
			updated = later()
		}
		u.disabled = user.FormatTime(updated) // disabling moved updated_at
	}
	if r.IntN(100) < 70 {
		u.lastLogin = user.FormatTime(later())
	}
	if r.IntN(100) < 1 {
		u.failedLogins = 1 + r.IntN(3)
	}
	u.created, u.updated = user.FormatTime(created), user.FormatTime(updated)
	// The rowid ctitui would give it, so that rowids follow created_at as
	// ctitui keeps them; searches depend on that order.
	var prev *int64
	if g.seq > 1 {
		prev = &g.lastRowid
	}
	u.rowid, _ = sqlite.NextRowid(prev, created)
	g.lastRowid = u.rowid

	switch p := r.IntN(100); {
	case p < 5:
		u.roles = []user.Role{user.RoleAdmin}
	case p < 65:
		u.roles = []user.Role{user.RoleAnalyst}
	default:
		u.roles = []user.Role{user.RoleViewer}
	}
	if r.IntN(100) < 8 {
		if u.roles[0] == user.RoleAdmin {
			u.roles = []user.Role{user.RoleAdmin, user.RoleAnalyst}
		} else {
			u.roles = []user.Role{user.RoleAnalyst, user.RoleViewer}
		}
	}
	return u
}

func capitalize(s string) string {
	r := []rune(s)
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}
