package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/pgtest"
	"github.com/ctitui/ctitui/internal/user"
)

// migrationTestPool opens a pool on u with the session settings Open gives
// ctitui's sessions; searchPath "" leaves the server's default.
func migrationTestPool(t *testing.T, u, searchPath string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	if searchPath != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = searchPath
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// migratedPool is a pool on a fresh database migrated to the latest version.
func migratedPool(t *testing.T) (*pgxpool.Pool, string) {
	t.Helper()
	u := pgtest.NewDatabase(t)
	pool := migrationTestPool(t, u, "ctitui, public")
	if err := migrate(context.Background(), pool); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return pool, u
}

// otherProgram connects to u as another program would: no ctitui session
// settings, so the tables are named with their schema.
func otherProgram(t *testing.T, u string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// gooseRows counts goose's rows per version.
func gooseRows(t *testing.T, pool *pgxpool.Pool) map[int64]int {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT version_id, count(*) FROM `+gooseTable+` GROUP BY version_id`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]int{}
	for rows.Next() {
		var v int64
		var n int
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		got[v] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// wantEachOnce is goose's rows after every migration ran once: one per
// version and goose's own version 0.
func wantEachOnce() map[int64]int {
	want := map[int64]int{0: 1}
	for _, v := range MigrationVersions() {
		want[v] = 1
	}
	return want
}

func equalCounts(a, b map[int64]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// schemaSnapshot describes everything in the database that a migration
// could change: objects of every schema but the system ones, their
// columns, indexes, constraints, triggers and functions, goose's rows, the
// seeded rows, and the extensions.
func schemaSnapshot(t *testing.T, q querier) string {
	t.Helper()
	var snap string
	err := q.QueryRow(context.Background(), `SELECT concat_ws(E'\n',
		(SELECT string_agg(format('%s.%s %s', n.nspname, c.relname, c.relkind), E'\n' ORDER BY n.nspname, c.relname)
		   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')),
		(SELECT string_agg(format('%s.%s.%s %s %s %s', table_schema, table_name, column_name, data_type, is_nullable, column_default), E'\n'
		        ORDER BY table_schema, table_name, ordinal_position)
		   FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')),
		(SELECT string_agg(indexdef, E'\n' ORDER BY indexdef) FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog')),
		(SELECT string_agg(pg_get_constraintdef(oid), E'\n' ORDER BY conname) FROM pg_constraint WHERE connamespace::regnamespace::text NOT IN ('pg_catalog')),
		(SELECT string_agg(pg_get_triggerdef(oid), E'\n' ORDER BY tgname) FROM pg_trigger WHERE NOT tgisinternal),
		(SELECT string_agg(p.proname || ' ' || md5(p.prosrc), E'\n' ORDER BY p.proname)
		   FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'ctitui'),
		(SELECT string_agg(extname || ' ' || extnamespace::regnamespace::text, E'\n' ORDER BY extname) FROM pg_extension),
		(SELECT string_agg(format('goose %s %s %s %s', id, version_id, is_applied, tstamp), E'\n' ORDER BY id) FROM ctitui.goose_db_version),
		(SELECT string_agg(format('role %s %s', id, name), E'\n' ORDER BY id) FROM ctitui.roles),
		(SELECT string_agg(format('setting %s %s %s', key, value, updated_at), E'\n' ORDER BY key) FROM ctitui.settings),
		(SELECT string_agg(format('head %s %s', last_id, last_hash), E'\n') FROM ctitui.audit_head))`).Scan(&snap)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return snap
}

func TestMigrateFreshDatabase(t *testing.T) {
	ctx := context.Background()
	pool, _ := migratedPool(t)
	v, err := databaseVersion(ctx, pool)
	if err != nil || v != LatestVersion() {
		t.Fatalf("databaseVersion = %d, %v; want %d, nil", v, err, LatestVersion())
	}
	if got, want := gooseRows(t, pool), wantEachOnce(); !equalCounts(got, want) {
		t.Errorf("goose rows per version = %v; want %v", got, want)
	}
	var tables []string
	rows, _ := pool.Query(ctx, `SELECT schemaname || '.' || tablename FROM pg_tables
		WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
	tables, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	wantTables := []string{"ctitui.audit_head", "ctitui.audit_log", "ctitui.goose_db_version", "ctitui.roles",
		"ctitui.settings", "ctitui.user_roles", "ctitui.users"}
	if !slices.Equal(tables, wantTables) {
		t.Errorf("tables = %v; want %v", tables, wantTables)
	}
	rows, _ = pool.Query(ctx, `SELECT id || ' ' || name FROM roles ORDER BY id`)
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"1 admin", "2 analyst", "3 viewer"}; !slices.Equal(roles, want) {
		t.Errorf("roles = %v; want %v", roles, want)
	}
	rows, _ = pool.Query(ctx, `SELECT key || '=' || value FROM settings WHERE key <> 'audit_chain_sealed_at' ORDER BY key`)
	settings, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"lockout_minutes=15", "lockout_threshold=5"}; !slices.Equal(settings, want) {
		t.Errorf("settings = %v; want %v", settings, want)
	}
	var sealed string
	if err := pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = 'audit_chain_sealed_at'`).Scan(&sealed); err != nil {
		t.Fatalf("the seal of migration 7: %v", err)
	}
	if _, err := time.Parse(user.TimeLayout, sealed); err != nil {
		t.Errorf("audit_chain_sealed_at = %q, not a time as ctitui writes them: %v", sealed, err)
	}
	var headID int64
	var headHash string
	if err := pool.QueryRow(ctx, `SELECT last_id, last_hash FROM audit_head WHERE id = 1`).Scan(&headID, &headHash); err != nil {
		t.Fatalf("audit head: %v", err)
	}
	if headID != 0 || headHash != "" {
		t.Errorf("audit head of an empty log = %d %q; want 0 \"\"", headID, headHash)
	}
}

func TestMigrateSearchUsesTheTrigramIndex(t *testing.T) {
	ctx := context.Background()
	pool, _ := migratedPool(t)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// On an empty table the planner would rightly scan it; forbid that to
	// see whether the index can serve the search at all.
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, _ := tx.Query(ctx, `EXPLAIN SELECT id FROM users WHERE email_normalized LIKE '%' || $1 || '%'`, "team-7.example")
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "users_email_search_idx") {
		t.Errorf("a substring search does not use the trigram index:\n%s", strings.Join(plan, "\n"))
	}
}

func TestMigrateTwiceChangesNothing(t *testing.T) {
	ctx := context.Background()
	pool, _ := migratedPool(t)
	before := schemaSnapshot(t, pool)
	if err := migrate(ctx, pool); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if after := schemaSnapshot(t, pool); after != before {
		t.Errorf("a second migrate changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestMigrateRefusesANewerDatabaseUntouched(t *testing.T) {
	ctx := context.Background()
	pool, _ := migratedPool(t)
	newer := LatestVersion() + 1
	if _, err := pool.Exec(ctx, `INSERT INTO `+gooseTable+` (version_id, is_applied) VALUES ($1, true)`, newer); err != nil {
		t.Fatal(err)
	}
	// A newer ctitui might have dropped something this one would recreate.
	if _, err := pool.Exec(ctx, `DROP INDEX users_email_skeleton_idx`); err != nil {
		t.Fatal(err)
	}
	before := schemaSnapshot(t, pool)
	err := migrate(ctx, pool)
	if !errors.Is(err, db.ErrSchemaTooNew) {
		t.Fatalf("migrate of a database at version %d = %v; want db.ErrSchemaTooNew", newer, err)
	}
	if want := fmt.Sprintf("version %d, this ctitui knows up to %d", newer, LatestVersion()); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if after := schemaSnapshot(t, pool); after != before {
		t.Errorf("the refused migrate changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// The lock was released: the database can still be read and locked.
	var got bool
	if err := pool.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, migrationLockKey).Scan(&got); err != nil || !got {
		t.Errorf("pg_try_advisory_lock(migration key) after the refusal = %v, %v; want true", got, err)
	}
}

// TestMigrateConcurrently migrates one new database from 8 pools at once,
// as 8 ctitui processes starting together would: each migration must run
// once and every process succeed.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	const n = 8
	pools := make([]*pgxpool.Pool, n)
	for i := range pools {
		pools[i] = migrationTestPool(t, u, "ctitui, public")
		if err := pools[i].Ping(ctx); err != nil { // connected before the start
			t.Fatal(err)
		}
	}
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, p := range pools {
		wg.Go(func() {
			<-start
			errs[i] = migrate(ctx, p)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: migrate: %v", i, err)
		}
	}
	if got, want := gooseRows(t, pools[0]), wantEachOnce(); !equalCounts(got, want) {
		t.Errorf("goose rows per version = %v; want %v (each migration once)", got, want)
	}
	var roles int
	if err := pools[0].QueryRow(ctx, `SELECT count(*) FROM roles`).Scan(&roles); err != nil || roles != 3 {
		t.Errorf("roles = %d, %v; want 3", roles, err)
	}
}

func TestMigrateGivesUpOnAHeldLock(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	holder := otherProgram(t, u)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
		t.Fatal(err)
	}
	saved := migrationLockTimeout
	migrationLockTimeout = 100 * time.Millisecond
	t.Cleanup(func() { migrationLockTimeout = saved })
	pool := migrationTestPool(t, u, "ctitui, public")
	err := migrate(ctx, pool)
	if !errors.Is(err, errMigrationLocked) {
		t.Fatalf("migrate while another session holds the lock = %v; want errMigrationLocked", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(migrationLockKey)) {
		t.Errorf("error %q does not name the lock a DBA would look for", err)
	}
	var schemas int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = 'ctitui'`).Scan(&schemas); err != nil || schemas != 0 {
		t.Errorf("schema ctitui exists (%d, %v) after a migrate that did not get the lock", schemas, err)
	}
	// The session's lock_timeout was set for the lock's transaction only.
	var timeout string
	if err := pool.QueryRow(ctx, `SHOW lock_timeout`).Scan(&timeout); err != nil || timeout != "0" {
		t.Errorf("lock_timeout after migrate = %q, %v; want the server's 0", timeout, err)
	}
	// Once the holder lets go, the same pool migrates.
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, migrationLockKey); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, pool); err != nil {
		t.Errorf("migrate after the lock was released: %v", err)
	}
}

func TestMigrateRefusesAPoolOfOneConnection(t *testing.T) {
	u := pgtest.NewDatabase(t)
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = "ctitui, public"
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	// Bounded: without the check, migrate would wait for a second
	// connection until ctx ends.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = migrate(ctx, pool)
	if err == nil || !strings.Contains(err.Error(), "at least 2 connections") {
		t.Errorf("migrate over a pool of one connection = %v; want an error asking for 2", err)
	}
}

func TestMigrateRefusesAnotherSearchPath(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	pool := migrationTestPool(t, u, "")
	err := migrate(ctx, pool)
	if err == nil || !strings.Contains(err.Error(), "search_path = ctitui, public") {
		t.Fatalf("migrate with the default search_path = %v; want an error naming the search_path", err)
	}
	var tables int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("%d tables (%v) were created in public", tables, err)
	}
}

// TestMigrationsGoDownAndUpAgain runs every Down and then every Up again:
// the Down sections undo their Up exactly enough for it to run again.
func TestMigrationsGoDownAndUpAgain(t *testing.T) {
	ctx := context.Background()
	pool, _ := migratedPool(t)
	before := schemaSnapshot(t, pool)
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := newProvider(sqlDB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("down to 0: %v", err)
	}
	// What is left: goose's table, and pg_trgm, which other objects may
	// use and which migration 5 may not have installed.
	rows, _ := pool.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'ctitui' AND c.relname NOT LIKE 'goose_db_version%'
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
		UNION ALL
		SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = 'ctitui'
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
		ORDER BY 1`)
	left, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("left in schema ctitui after every Down: %v", left)
	}
	if err := migrate(ctx, pool); err != nil {
		t.Fatalf("migrate after every Down: %v", err)
	}
	// goose keeps a row per run and the seal's time differs: compare what
	// the migrations make, not those.
	clean := func(s string) string {
		var keep []string
		for _, line := range strings.Split(s, "\n") {
			if !strings.HasPrefix(line, "goose ") && !strings.HasPrefix(line, "setting ") {
				keep = append(keep, line)
			}
		}
		return strings.Join(keep, "\n")
	}
	if after := schemaSnapshot(t, pool); clean(after) != clean(before) {
		t.Errorf("schema after down and up again differs:\nbefore:\n%s\nafter:\n%s", clean(before), clean(after))
	}
}

// TestAuditChainSealedByMigration7 writes audit rows into a database at
// version 6, as entries written before the chain existed, and checks that
// migration 7 seals them exactly as ctitui computes the chain
// (db.AuditEntryHash), and migration 9 records the head.
func TestAuditChainSealedByMigration7(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	pool := migrationTestPool(t, u, "ctitui, public")
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = ensureSchema(ctx, conn.Conn())
	conn.Release()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := newProvider(sqlDB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 6); err != nil {
		t.Fatalf("up to 6: %v", err)
	}
	at := time.Date(2024, 2, 29, 23, 59, 58, 123_000_000, time.UTC)
	entries := []user.AuditEntry{
		{ID: 1, At: at, Actor: "root", Action: "create", UserID: "u-1", UserEmail: "ana@example.org", Details: "roles=admin"},
		{ID: 2, At: at.Add(time.Second), Actor: "jörg", Action: "update", UserID: "u-1", UserEmail: "ana@example.org", Details: "email: ana@example.org → ána@exämple.org\nline two"},
		{ID: 5, At: at.Add(time.Hour), Actor: "root", Action: "settings", Details: "lockout_threshold=3"}, // no user: NULL user_id
	}
	for _, e := range entries {
		var userID any
		if e.UserID != "" {
			userID = e.UserID
		}
		if _, err := pool.Exec(ctx, `INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			e.ID, e.At, e.Actor, string(e.Action), userID, e.UserEmail, e.Details); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrate(ctx, pool); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	prev := ""
	for _, e := range entries {
		want := db.AuditEntryHash(prev, e.ID, e)
		var gotPrev, got string
		if err := pool.QueryRow(ctx, `SELECT prev_hash, hash FROM audit_log WHERE id = $1`, e.ID).Scan(&gotPrev, &got); err != nil {
			t.Fatal(err)
		}
		if gotPrev != prev || got != want {
			t.Errorf("entry %d: prev_hash, hash = %q, %q; want %q, %q", e.ID, gotPrev, got, prev, want)
		}
		prev = want
	}
	var headID int64
	var headHash string
	if err := pool.QueryRow(ctx, `SELECT last_id, last_hash FROM audit_head WHERE id = 1`).Scan(&headID, &headHash); err != nil {
		t.Fatal(err)
	}
	if headID != 5 || headHash != prev {
		t.Errorf("audit head = %d %q; want 5 %q", headID, headHash, prev)
	}
}

// userRow is what the triggers keep of a user.
type userRow struct {
	createdAt, updatedAt time.Time
	roleNames            string
	skeleton             *string
}

func readUser(t *testing.T, conn *pgx.Conn, id string) userRow {
	t.Helper()
	var r userRow
	if err := conn.QueryRow(context.Background(), `SELECT created_at, updated_at, role_names, email_skeleton FROM ctitui.users WHERE id = $1`, id).
		Scan(&r.createdAt, &r.updatedAt, &r.roleNames, &r.skeleton); err != nil {
		t.Fatalf("read user %s: %v", id, err)
	}
	return r
}

// TestTriggersKeepTimestampsAndRoleNames writes through SQL as another
// program would (no ctitui session settings, tables named with their
// schema) and checks what the triggers keep: created_at never moves,
// updated_at moves on an edit of the user or its roles unless the writer set
// it, role_names follows user_roles with plain names only, and a changed
// email clears a skeleton left as it was.
func TestTriggersKeepTimestampsAndRoleNames(t *testing.T) {
	ctx := context.Background()
	_, u := migratedPool(t)
	conn := otherProgram(t, u)
	past := time.Date(2020, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	exec := func(t *testing.T, sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// newUser writes a user and its roles in one transaction, user first.
	newUser := func(t *testing.T, id string, roles ...string) {
		t.Helper()
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `INSERT INTO ctitui.users (id, email, email_normalized, hashed_password, created_at, updated_at, email_skeleton)
			VALUES ($1, $1 || '@example.org', $1 || '@example.org', 'x', $2, $2, 'skel-' || $1)`, id, past); err != nil {
			t.Fatal(err)
		}
		for _, r := range roles {
			if _, err := tx.Exec(ctx, `INSERT INTO ctitui.user_roles (user_id, role_id) SELECT $1, id FROM ctitui.roles WHERE name = $2`, id, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	exec(t, `INSERT INTO ctitui.roles (name) VALUES ('ops'), ('Auditor'), ('ops,admin'), ('émigré')`)

	tests := []struct {
		name      string
		roles     []string // of the new user
		edit      func(t *testing.T, id string)
		wantMoved bool      // updated_at moved off created_at
		wantAt    time.Time // updated_at after the edit, when the edit sets it
		wantNames string    // role_names after the edit
		wantSkel  string    // email_skeleton after the edit ("" for NULL)
	}{
		{
			name: "new user with roles", roles: []string{"viewer", "ops", "admin"},
			edit: func(*testing.T, string) {}, wantNames: "admin,viewer,ops", wantSkel: "skel-",
		},
		{
			name: "roles not plain are left out", roles: []string{"Auditor", "ops,admin", "émigré", "analyst"},
			edit: func(*testing.T, string) {}, wantNames: "analyst", wantSkel: "skel-",
		},
		{
			name: "role added later", roles: []string{"viewer"},
			edit: func(t *testing.T, id string) {
				exec(t, `INSERT INTO ctitui.user_roles (user_id, role_id) SELECT $1, id FROM ctitui.roles WHERE name = 'analyst'`, id)
			},
			wantMoved: true, wantNames: "analyst,viewer", wantSkel: "skel-",
		},
		{
			name: "role removed", roles: []string{"viewer", "admin"},
			edit: func(t *testing.T, id string) {
				exec(t, `DELETE FROM ctitui.user_roles WHERE user_id = $1 AND role_id = (SELECT id FROM ctitui.roles WHERE name = 'admin')`, id)
			},
			wantMoved: true, wantNames: "viewer", wantSkel: "skel-",
		},
		{
			name: "link changed to another role", roles: []string{"viewer"},
			edit: func(t *testing.T, id string) {
				exec(t, `UPDATE ctitui.user_roles SET role_id = (SELECT id FROM ctitui.roles WHERE name = 'admin') WHERE user_id = $1`, id)
			},
			wantMoved: true, wantNames: "admin", wantSkel: "skel-",
		},
		{
			name: "email changed", roles: []string{"viewer"},
			edit: func(t *testing.T, id string) {
				exec(t, `UPDATE ctitui.users SET email = 'new-' || email, email_normalized = 'new-' || email_normalized WHERE id = $1`, id)
			},
			wantMoved: true, wantNames: "viewer", wantSkel: "",
		},
		{
			name: "email changed with its skeleton", roles: []string{"viewer"},
			edit: func(t *testing.T, id string) {
				exec(t, `UPDATE ctitui.users SET email = 'new-' || email, email_skeleton = 'skel-new' WHERE id = $1`, id)
			},
			wantMoved: true, wantNames: "viewer", wantSkel: "skel-new",
		},
		{
			name: "password changed", roles: []string{"viewer"},
			edit: func(t *testing.T, id string) {
				exec(t, `UPDATE ctitui.users SET hashed_password = 'y' WHERE id = $1`, id)
			},
			wantMoved: true, wantNames: "viewer", wantSkel: "skel-",
		},
		{
			name: "disabled", roles: []string{"viewer"},
			edit: func(t *testing.T, id string) {
				exec(t, `UPDATE ctitui.users SET disabled_at = now() WHERE id = $1`, id)
			},
			wantMoved: true, wantNames: "viewer", wantSkel: "skel-",
		},
		{
			name: "a writer that sets updated_at keeps it", roles: []string{"viewer"},
			edit: func(t *testing.T, id string) {
				exec(t, `UPDATE ctitui.users SET hashed_password = 'y', updated_at = $2 WHERE id = $1`, id, past.Add(time.Hour))
			},
			wantMoved: true, wantAt: past.Add(time.Hour), wantNames: "viewer", wantSkel: "skel-",
		},
		{
			name: "logins and failures are not edits", roles: []string{"viewer"},
			edit: func(t *testing.T, id string) {
				exec(t, `UPDATE ctitui.users SET failed_logins = 3, locked_until = now(), last_login_at = now() WHERE id = $1`, id)
			},
			wantNames: "viewer", wantSkel: "skel-",
		},
		{
			name: "role_names written by hand is put right", roles: []string{"viewer", "admin"},
			edit: func(t *testing.T, id string) {
				exec(t, `UPDATE ctitui.users SET role_names = 'admin,admin' WHERE id = $1`, id)
			},
			wantNames: "admin,viewer", wantSkel: "skel-",
		},
		{
			name: "role renamed", roles: []string{"ops", "viewer"},
			edit: func(t *testing.T, id string) {
				exec(t, `UPDATE ctitui.roles SET name = 'aaa-ops' WHERE name = 'ops'`)
				t.Cleanup(func() { conn.Exec(ctx, `UPDATE ctitui.roles SET name = 'ops' WHERE name = 'aaa-ops'`) })
			},
			wantNames: "viewer,aaa-ops", wantSkel: "skel-",
		},
		{
			name: "role renamed to a name that is not plain", roles: []string{"ops", "viewer"},
			edit: func(t *testing.T, id string) {
				exec(t, `UPDATE ctitui.roles SET name = 'Ops' WHERE name = 'ops'`)
				t.Cleanup(func() { conn.Exec(ctx, `UPDATE ctitui.roles SET name = 'ops' WHERE name = 'Ops'`) })
			},
			wantNames: "viewer", wantSkel: "skel-",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("user-%02d", i)
			newUser(t, id, tt.roles...)
			tt.edit(t, id)
			got := readUser(t, conn, id)
			if !got.createdAt.Equal(past) {
				t.Errorf("created_at = %v; want %v", got.createdAt.UTC(), past)
			}
			if moved := !got.updatedAt.Equal(past); moved != tt.wantMoved {
				t.Errorf("updated_at = %v (created_at %v): moved %v; want %v", got.updatedAt.UTC(), past, moved, tt.wantMoved)
			}
			if !tt.wantAt.IsZero() && !got.updatedAt.Equal(tt.wantAt) {
				t.Errorf("updated_at = %v; want %v, as the writer set it", got.updatedAt.UTC(), tt.wantAt)
			}
			if got.updatedAt.Nanosecond()%int(time.Millisecond) != 0 {
				t.Errorf("updated_at = %v; want whole milliseconds, as ctitui writes them", got.updatedAt.UTC())
			}
			if got.roleNames != tt.wantNames {
				t.Errorf("role_names = %q; want %q", got.roleNames, tt.wantNames)
			}
			wantSkel := tt.wantSkel
			if wantSkel == "skel-" {
				wantSkel += id
			}
			gotSkel := ""
			if got.skeleton != nil {
				gotSkel = *got.skeleton
			}
			if gotSkel != wantSkel {
				t.Errorf("email_skeleton = %q; want %q", gotSkel, wantSkel)
			}
		})
	}

	t.Run("created_at cannot change", func(t *testing.T) {
		newUser(t, "user-created", "viewer")
		_, err := conn.Exec(ctx, `UPDATE ctitui.users SET created_at = now() WHERE id = 'user-created'`)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "23514" || !strings.Contains(pgErr.Message, "created_at cannot change") {
			t.Errorf("update of created_at = %v; want check_violation 'users.created_at cannot change'", err)
		}
	})
	t.Run("a link moved to another user changes both", func(t *testing.T) {
		newUser(t, "user-from", "viewer", "admin")
		newUser(t, "user-to", "analyst")
		exec(t, `UPDATE ctitui.user_roles SET user_id = 'user-to' WHERE user_id = 'user-from' AND role_id = (SELECT id FROM ctitui.roles WHERE name = 'admin')`)
		from, to := readUser(t, conn, "user-from"), readUser(t, conn, "user-to")
		if from.roleNames != "viewer" || to.roleNames != "admin,analyst" {
			t.Errorf("role_names = %q and %q; want \"viewer\" and \"admin,analyst\"", from.roleNames, to.roleNames)
		}
		if from.updatedAt.Equal(past) || to.updatedAt.Equal(past) {
			t.Errorf("updated_at = %v and %v; want both moved off %v", from.updatedAt.UTC(), to.updatedAt.UTC(), past)
		}
	})
	t.Run("a deleted user takes its links", func(t *testing.T) {
		newUser(t, "user-deleted", "viewer", "admin")
		exec(t, `DELETE FROM ctitui.users WHERE id = 'user-deleted'`)
		var links int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM ctitui.user_roles WHERE user_id = 'user-deleted'`).Scan(&links); err != nil || links != 0 {
			t.Errorf("links of a deleted user = %d, %v; want 0", links, err)
		}
	})
}

// TestMigrateWhatADBAPrepared migrates as a role that may not create
// anything in the database, where a DBA created schema ctitui for it and
// installed pg_trgm in public: the documented way for a locked-down server.
func TestMigrateWhatADBAPrepared(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	dba := otherProgram(t, u)
	for _, stmt := range []string{
		`CREATE SCHEMA ctitui`,
		`CREATE EXTENSION pg_trgm SCHEMA public`,
		// The owner gives up its own right to create schemas and
		// extensions here, and so does everyone else.
		`SELECT format('REVOKE CREATE ON DATABASE %I FROM PUBLIC, %I', current_database(), current_user)`,
	} {
		if strings.HasPrefix(stmt, "SELECT") {
			if err := dba.QueryRow(ctx, stmt).Scan(&stmt); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := dba.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var canCreate bool
	if err := dba.QueryRow(ctx, `SELECT has_database_privilege(current_database(), 'CREATE')`).Scan(&canCreate); err != nil || canCreate {
		t.Fatalf("has_database_privilege(CREATE) = %v, %v; want false for this test to mean anything", canCreate, err)
	}
	pool := migrationTestPool(t, u, "ctitui, public")
	if err := migrate(ctx, pool); err != nil {
		t.Fatalf("migrate into what the DBA prepared: %v", err)
	}
	var opclass string
	if err := pool.QueryRow(ctx, `SELECT format('%s.%s', o.opcnamespace::regnamespace, o.opcname) FROM pg_index i
		JOIN pg_opclass o ON o.oid = i.indclass[0] WHERE i.indexrelid = 'users_email_search_idx'::regclass`).Scan(&opclass); err != nil {
		t.Fatal(err)
	}
	if opclass != "public.gin_trgm_ops" {
		t.Errorf("search index operator class = %s; want public.gin_trgm_ops, the DBA's", opclass)
	}
}
