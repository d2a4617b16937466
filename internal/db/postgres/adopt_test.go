package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/user"
)

// dashboardSchema is what SQLAlchemy 1.4's create_all() emits for the
// dashboard's models before it had updated_at (see testdata/dashboard.py,
// which makes the same tables through SQLAlchemy itself): a uuid id,
// is_active and created_at without server defaults (the ORM fills them),
// roles with a serial id, the user_roles link without ON DELETE, and
// tables of the dashboard's own that refer to users, one of them with a
// cascade.
const dashboardSchema = `
CREATE TABLE users (
	id UUID NOT NULL,
	email VARCHAR NOT NULL,
	hashed_password VARCHAR NOT NULL,
	is_active BOOLEAN,
	created_at TIMESTAMP WITHOUT TIME ZONE,
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE TABLE roles (
	id SERIAL NOT NULL,
	name VARCHAR NOT NULL,
	description VARCHAR,
	PRIMARY KEY (id),
	UNIQUE (name)
);
CREATE TABLE user_roles (
	user_id UUID NOT NULL,
	role_id INTEGER NOT NULL,
	PRIMARY KEY (user_id, role_id),
	FOREIGN KEY(user_id) REFERENCES users (id),
	FOREIGN KEY(role_id) REFERENCES roles (id)
);
CREATE TABLE indicators (
	id SERIAL NOT NULL,
	value VARCHAR NOT NULL,
	created_by UUID,
	PRIMARY KEY (id),
	FOREIGN KEY(created_by) REFERENCES users (id)
);
CREATE TABLE api_tokens (
	id SERIAL NOT NULL,
	user_id UUID NOT NULL,
	token VARCHAR NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
`

// dashboardRows are the fixture's rows: active, inactive and NULL
// is_active users, a non-ASCII address, the dashboard's own roles, and
// rows of its tables referring to users.
const dashboardRows = `
INSERT INTO roles (name, description) VALUES ('admin', 'Administrator'), ('user', NULL);
INSERT INTO users (id, email, hashed_password, is_active, created_at) VALUES
	('0190a1b2-0000-7000-8000-000000000001', 'Alice@Example.org', '$2b$12$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', true,  '2024-03-01 10:00:00.123'),
	('0190a1b2-0000-7000-8000-000000000002', 'bob@example.org',   '$2b$12$bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', false, '2024-03-02 11:00:00'),
	('0190a1b2-0000-7000-8000-000000000003', 'carol@example.org', '$2b$12$ccccccccccccccccccccccccccccccccccccccccccccccccccccc', NULL,  '2024-03-03 12:00:00'),
	('0190a1b2-0000-7000-8000-000000000004', ' Straße@Example.DE', '$2b$12$ddddddddddddddddddddddddddddddddddddddddddddddddddddd', true, '2024-03-04 13:00:00');
INSERT INTO user_roles (user_id, role_id) VALUES
	('0190a1b2-0000-7000-8000-000000000001', 1), ('0190a1b2-0000-7000-8000-000000000002', 2),
	('0190a1b2-0000-7000-8000-000000000004', 2);
INSERT INTO indicators (value, created_by) VALUES ('198.51.100.7', '0190a1b2-0000-7000-8000-000000000001');
INSERT INTO api_tokens (user_id, token) VALUES ('0190a1b2-0000-7000-8000-000000000004', 'tok-d');
`

// doraEmail is a fixture user's address as the dashboard stored it, with
// the space its user typed before it.
const doraEmail = " Straße@Example.DE"

// newDashboard returns the URL of a new database holding the dashboard's
// tables and rows, made with extra DDL run after them.
func newDashboard(t *testing.T, extra ...string) string {
	t.Helper()
	return newDashboardWith(t, dashboardSchema, extra...)
}

// textIDs is the dashboard's schema with ids kept as text (VARCHAR(36))
// rather than uuid.
var textIDs = strings.ReplaceAll(dashboardSchema, "UUID", "VARCHAR(36)")

// newDashboardWith is newDashboard with the dashboard's tables made by
// schema.
func newDashboardWith(t *testing.T, schema string, extra ...string) string {
	t.Helper()
	dbURL := newDatabase(t)
	conn := dashboardConn(t, dbURL)
	for _, sql := range append([]string{schema, dashboardRows}, extra...) {
		if _, err := conn.Exec(context.Background(), sql); err != nil {
			t.Fatalf("dashboard fixture: %v\n%s", err, sql)
		}
	}
	return dbURL
}

// dashboardConn connects as the dashboard does: its own application name,
// the default search path, and a time zone that is not UTC.
func dashboardConn(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = "dashboard"
	cfg.RuntimeParams["timezone"] = "Europe/Paris"
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// ctituiPool connects as ctitui's sessions do (see Open), for adopt.
func ctituiPool(t *testing.T, dbURL string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.ConnConfig.RuntimeParams
	p["search_path"], p["timezone"], p["application_name"] = "ctitui, public", "UTC", "ctitui"
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// dump is the whole of the database's schema and rows as text, outside
// the system schemas: two dumps are equal when nothing changed.
func dump(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, q := range []string{
		`SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' ORDER BY 1`,
		`SELECT n.nspname || '.' || c.relname || ' ' || c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema' ORDER BY 1`,
		`SELECT c.oid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull || ' ' || COALESCE(pg_get_expr(d.adbin, d.adrelid), '')
			FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
			WHERE a.attnum > 0 AND NOT a.attisdropped AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema' ORDER BY 1`,
		`SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
			WHERE connamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname LIKE 'pg\_%' OR nspname = 'information_schema') ORDER BY 1`,
		`SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace NOT IN
			(SELECT oid FROM pg_namespace WHERE nspname LIKE 'pg\_%' OR nspname = 'information_schema')) ORDER BY 1`,
		`SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`,
		`SELECT pronamespace::regnamespace::text || '.' || proname FROM pg_proc WHERE pronamespace NOT IN
			(SELECT oid FROM pg_namespace WHERE nspname LIKE 'pg\_%' OR nspname = 'information_schema') ORDER BY 1`,
		`SELECT typnamespace::regnamespace::text || '.' || typname FROM pg_type WHERE typnamespace NOT IN
			(SELECT oid FROM pg_namespace WHERE nspname LIKE 'pg\_%' OR nspname = 'information_schema') ORDER BY 1`,
	} {
		rows, err := conn.Query(ctx, q)
		if err != nil {
			t.Fatalf("dump: %v\n%s", err, q)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("dump: %v", err)
		}
		b.WriteString(strings.Join(lines, "\n") + "\n--\n")
	}
	rows, err := conn.Query(ctx, `SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		rows, err := conn.Query(ctx, `SELECT t::text FROM `+table+` t ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:\n%s\n", table, strings.Join(lines, "\n"))
	}
	return b.String()
}

// adoptedUser is a row of the adopted users table.
type adoptedUser struct {
	email, normalized, hash string
	active                  *bool
	created, updated        time.Time
	disabled                *time.Time
}

func readAdopted(t *testing.T, conn *pgx.Conn) map[string]adoptedUser {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT id::text, email, email_normalized, hashed_password, is_active, created_at, updated_at, disabled_at FROM public.users`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]adoptedUser{}
	var id string
	var u adoptedUser
	if _, err := pgx.ForEachRow(rows, []any{&id, &u.email, &u.normalized, &u.hash, &u.active, &u.created, &u.updated, &u.disabled}, func() error {
		out[id] = u
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAdoptKeepsEveryRowAndKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDashboard(t)
	conn := dashboardConn(t, dbURL)
	var fksBefore []string
	rows, _ := conn.Query(ctx, `SELECT conrelid::regclass || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' ORDER BY 1`)
	fksBefore, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var before []string
	rows, _ = conn.Query(ctx, `SELECT u::text FROM users u ORDER BY id`)
	if before, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}

	report, err := postgres.Adopt(ctx, ctituiPool(t, dbURL), time.Second)
	if err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	if report == nil {
		t.Fatal("Adopt = nil report; want a report of the adoption")
	}
	if report.Users != 4 || report.Disabled != 2 || report.Nulls != 1 {
		t.Errorf("report: users %d, disabled %d, nulls %d; want 4, 2, 1 (%s)", report.Users, report.Disabled, report.Nulls, report)
	}

	got := readAdopted(t, conn)
	type want struct {
		email    string
		active   bool
		created  time.Time
		disabled bool
	}
	for id, w := range map[string]want{
		"0190a1b2-0000-7000-8000-000000000001": {"Alice@Example.org", true, time.Date(2024, 3, 1, 10, 0, 0, 123_000_000, time.UTC), false},
		"0190a1b2-0000-7000-8000-000000000002": {"bob@example.org", false, time.Date(2024, 3, 2, 11, 0, 0, 0, time.UTC), true},
		"0190a1b2-0000-7000-8000-000000000003": {"carol@example.org", false, time.Date(2024, 3, 3, 12, 0, 0, 0, time.UTC), true},
		"0190a1b2-0000-7000-8000-000000000004": {" Straße@Example.DE", true, time.Date(2024, 3, 4, 13, 0, 0, 0, time.UTC), false},
	} {
		u, ok := got[id]
		if !ok {
			t.Errorf("user %s is gone", id)
			continue
		}
		if u.email != w.email || u.normalized != user.NormalizeEmail(w.email) {
			t.Errorf("user %s: email %q normalised %q; want %q, %q", id, u.email, u.normalized, w.email, user.NormalizeEmail(w.email))
		}
		if u.active == nil || *u.active != w.active {
			t.Errorf("user %s: is_active %v; want %v", id, u.active, w.active)
		}
		if !u.created.Equal(w.created) || !u.updated.Equal(w.created) {
			t.Errorf("user %s: created_at %v updated_at %v; want both %v", id, u.created, u.updated, w.created)
		}
		switch {
		case w.disabled && (u.disabled == nil || !u.disabled.Equal(w.created)):
			t.Errorf("user %s: disabled_at %v; want %v (inactive users stay disabled)", id, u.disabled, w.created)
		case !w.disabled && u.disabled != nil:
			t.Errorf("user %s: disabled_at %v; want NULL", id, *u.disabled)
		}
	}

	// Every foreign key is still there; user_roles' now cascades.
	rows, _ = conn.Query(ctx, `SELECT conrelid::regclass || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY 1`)
	fksAfter, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	wantFKs := strings.Replace(strings.Join(fksBefore, "\n"), "user_roles FOREIGN KEY (user_id) REFERENCES users(id)", "user_roles FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE", 1)
	if g := strings.Join(fksAfter, "\n"); g != wantFKs {
		t.Errorf("foreign keys after adoption:\n%s\nwant:\n%s", g, wantFKs)
	}
	// The dashboard's own tables and links are untouched; its roles are
	// kept and ctitui's added.
	for q, want := range map[string]string{
		`SELECT string_agg(value || ' ' || created_by, ',') FROM indicators`:                                                             "198.51.100.7 0190a1b2-0000-7000-8000-000000000001",
		`SELECT string_agg(token, ',') FROM api_tokens`:                                                                                  "tok-d",
		`SELECT string_agg(user_id || ':' || role_id, ',' ORDER BY user_id, role_id) FROM user_roles`:                                    "0190a1b2-0000-7000-8000-000000000001:1,0190a1b2-0000-7000-8000-000000000002:2,0190a1b2-0000-7000-8000-000000000004:2",
		`SELECT string_agg(id || ' ' || name, ',' ORDER BY id) FROM roles`:                                                               "1 admin,2 user,3 analyst,4 viewer",
		`SELECT string_agg(version_id::text, ',' ORDER BY id) FROM ctitui.goose_db_version WHERE is_applied`:                             "0,1,2",
		`SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.users'::regclass AND attname = 'updated_at'`: "timestamp without time zone",
		`SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.users'::regclass AND attname = 'id'`:         "uuid",
	} {
		var got string
		if err := conn.QueryRow(ctx, q).Scan(&got); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got != want {
			t.Errorf("%s = %q; want %q", q, got, want)
		}
	}
	// ctitui finds a user by the text of a uuid id through an index (the
	// planner is kept from scanning a table this small).
	var plan string
	if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `EXPLAIN (COSTS OFF) SELECT email FROM users WHERE id::text = '0190a1b2-0000-7000-8000-000000000001'`).Scan(&plan)
	}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "users_id_text_key") {
		t.Errorf("plan of a lookup by id::text: %s; want the index users_id_text_key", plan)
	}
	// The safety copy holds the users as they were.
	if len(report.Backup) != 3 {
		t.Fatalf("report.Backup = %v; want copies of users, roles and user_roles", report.Backup)
	}
	rows, _ = conn.Query(ctx, `SELECT u::text FROM `+report.Backup[0]+` u ORDER BY id`)
	copied, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(copied, "\n") != strings.Join(before, "\n") {
		t.Errorf("safety copy %s:\n%s\nwant the users before adoption:\n%s", report.Backup[0], strings.Join(copied, "\n"), strings.Join(before, "\n"))
	}

	// A second adoption finds nothing to do.
	if again, err := postgres.Adopt(ctx, ctituiPool(t, dbURL), time.Second); err != nil || again != nil {
		t.Errorf("second Adopt = %v, %v; want nil, nil", again, err)
	}
}

// TestAdoptRefuses checks that what adoption cannot judge is refused
// with one line saying why, and nothing changed.
func TestAdoptRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		extra string
		want  string
	}{
		{"access column", `ALTER TABLE users ADD COLUMN is_locked boolean`, "column named is_locked, which may keep accounts from logging in"},
		{"verification column", `ALTER TABLE users ADD COLUMN is_verified boolean`, "column named is_verified"},
		{"is_active of another type", `ALTER TABLE users ALTER COLUMN is_active TYPE text`, "users.is_active is text, not boolean"},
		{"integer ids", `ALTER TABLE users DROP CONSTRAINT users_pkey CASCADE; ALTER TABLE users ALTER COLUMN id TYPE bigint USING 1`, ""},
		{"missing created_at", `UPDATE users SET created_at = NULL WHERE email = 'bob@example.org'`, "(bob@example.org) has no created_at"},
		{"same email once normalised", `INSERT INTO users VALUES ('0190a1b2-0000-7000-8000-000000000009', 'ALICE@example.org', 'x', true, now())`, `"Alice@Example.org" and "ALICE@example.org" have the same email once normalised`},
		{"a trigger of its own", `CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
			CREATE TRIGGER audit_users BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f()`, "trigger of its own (audit_users)"},
		{"a column ctitui adds", `ALTER TABLE users ADD COLUMN role_names text`, "already has a column named role_names"},
		{"a required column", `ALTER TABLE users ADD COLUMN full_name text NOT NULL DEFAULT ''; ALTER TABLE users ALTER COLUMN full_name DROP DEFAULT`, "users.full_name must have a value and has no default"},
		{"orphan links", `ALTER TABLE user_roles DROP CONSTRAINT user_roles_role_id_fkey; INSERT INTO user_roles VALUES ('0190a1b2-0000-7000-8000-000000000003', 99)`, "user_roles has 1 rows for users or roles that do not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dbURL := newDashboard(t, tc.extra)
			conn := dashboardConn(t, dbURL)
			before := dump(t, conn)
			report, err := postgres.Adopt(ctx, ctituiPool(t, dbURL), time.Second)
			if !errors.Is(err, postgres.ErrCannotAdopt) {
				t.Fatalf("Adopt = %v, %v; want ErrCannotAdopt", report, err)
			}
			if tc.name == "integer ids" {
				tc.want = "users.id is bigint, and ctitui writes ids as UUID strings"
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || !strings.Contains(msg, "nothing changed") || strings.Contains(msg, "\n") {
				t.Errorf("Adopt error:\n%s\nwant one line containing %q and 'nothing changed'", msg, tc.want)
			}
			if after := dump(t, conn); after != before {
				t.Errorf("the database changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

// TestAdoptFailureAtLastStepChangesNothing makes the last step of
// adoption, creating goose's version table, fail (a type of that name
// already exists in schema ctitui) after every other change was made, and
// checks that the schema and every row are as they were.
func TestAdoptFailureAtLastStepChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDashboard(t, `CREATE SCHEMA ctitui; CREATE TYPE ctitui.goose_db_version AS ENUM ('in the way')`)
	conn := dashboardConn(t, dbURL)
	before := dump(t, conn)
	_, err := postgres.Adopt(ctx, ctituiPool(t, dbURL), time.Second)
	if !errors.Is(err, postgres.ErrCannotAdopt) || !strings.Contains(err.Error(), "record the baseline versions") {
		t.Fatalf("Adopt error = %v; want ErrCannotAdopt failing to record the baseline versions", err)
	}
	if after := dump(t, conn); after != before {
		t.Errorf("the database changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestAdoptGivesUpOnALock holds a lock on users as a dashboard
// transaction left open would, and checks that adoption gives up with a
// message naming the holder, and changed nothing.
func TestAdoptGivesUpOnALock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDashboard(t)
	conn := dashboardConn(t, dbURL)
	before := dump(t, conn)
	reader := dashboardConn(t, dbURL)
	tx, err := reader.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Adopt(ctx, ctituiPool(t, dbURL), 200*time.Millisecond)
	if !errors.Is(err, postgres.ErrCannotAdopt) {
		t.Fatalf("Adopt = %v; want ErrCannotAdopt", err)
	}
	for _, want := range []string{"gave up after waiting 200ms", "application dashboard", "idle in transaction", "nothing changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Adopt error %q; want it to say %q", err, want)
		}
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if after := dump(t, conn); after != before {
		t.Errorf("the database changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestAdoptWhileTheDashboardRegisters runs dashboard registrations (a
// read of users, then a user and its role link, in one transaction, as
// the ORM does) without pause during adoption: none fails, and the rows
// they wrote end up complete.
func TestAdoptWhileTheDashboardRegisters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDashboard(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	counts := make([]atomic.Int64, 2)
	for w := range counts {
		conn := dashboardConn(t, dbURL)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
					email := fmt.Sprintf("Reg-%d-%d@Example.org", w, i)
					var exists bool
					if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)`, email).Scan(&exists); err != nil {
						return err
					}
					var id string
					if err := tx.QueryRow(ctx, `INSERT INTO users (id, email, hashed_password, is_active, created_at)
						VALUES (gen_random_uuid(), $1, 'x', $2, now() AT TIME ZONE 'UTC') RETURNING id::text`, email, i%3 != 0).Scan(&id); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, `INSERT INTO user_roles (user_id, role_id) VALUES ($1, 2)`, id)
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("registration %d of writer %d: %w", i, w, err)
					return
				}
				counts[w].Add(1)
			}
		}()
	}
	// Let the writers get going, then adopt while they write.
	// (A writer that failed stops: its error is reported below.)
	for counts[0].Load() < 5 && len(errs) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	_, err := postgres.Adopt(ctx, ctituiPool(t, dbURL), 10*time.Second)
	for after := counts[0].Load() + 5; counts[0].Load() < after && len(errs) == 0; {
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	close(errs)
	if err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	for err := range errs {
		t.Error(err)
	}
	conn := dashboardConn(t, dbURL)
	var total, incomplete, outOfStep int
	if err := conn.QueryRow(ctx, `SELECT count(*),
			count(*) FILTER (WHERE email_normalized IS DISTINCT FROM lower(email) AND email LIKE 'Reg-%' OR updated_at IS NULL OR updated_at < created_at),
			count(*) FILTER (WHERE is_active IS DISTINCT FROM (disabled_at IS NULL))
		FROM users`).Scan(&total, &incomplete, &outOfStep); err != nil {
		t.Fatal(err)
	}
	if want := 4 + int(counts[0].Load()+counts[1].Load()); total != want {
		t.Errorf("%d users; want %d", total, want)
	}
	if incomplete != 0 || outOfStep != 0 {
		t.Errorf("%d users without ctitui's columns, %d with is_active out of step with disabled_at; want none", incomplete, outOfStep)
	}
}

// TestAdoptedTablesStayInStep checks the triggers adoption adds: rows
// either side writes are complete, is_active and disabled_at follow each
// other both ways, created_at never moves, updated_at does, and ctitui
// cannot delete a user whose deletion would take the dashboard's rows
// with it.
func TestAdoptedTablesStayInStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDashboard(t)
	pool := ctituiPool(t, dbURL)
	if _, err := postgres.Adopt(ctx, pool, time.Second); err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	dash := dashboardConn(t, dbURL)
	exec := func(conn interface {
		Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	}, sql string, args ...any) error {
		_, err := conn.Exec(ctx, sql, args...)
		return err
	}
	get := func(id string) adoptedUser {
		t.Helper()
		u, ok := readAdopted(t, dash)[id]
		if !ok {
			t.Fatalf("user %s is gone", id)
		}
		return u
	}
	const (
		alice = "0190a1b2-0000-7000-8000-000000000001"
		bob   = "0190a1b2-0000-7000-8000-000000000002"
		dora  = "0190a1b2-0000-7000-8000-000000000004"
		eve   = "0190a1b2-0000-7000-8000-000000000005"
		frank = "0190a1b2-0000-7000-8000-000000000006"
	)

	// The dashboard registers a user as its old model does.
	if err := exec(dash, `INSERT INTO users (id, email, hashed_password, is_active, created_at) VALUES ($1, ' Eve@Example.ORG', 'h', true, '2025-01-01 00:00:00')`, eve); err != nil {
		t.Fatalf("dashboard insert: %v", err)
	}
	if u := get(eve); u.normalized != "eve@example.org" || !u.updated.Equal(u.created) || u.disabled != nil || !*u.active {
		t.Errorf("dashboard's new user: %+v; want normalised eve@example.org, updated_at = created_at, enabled", u)
	}
	// ctitui adds a disabled user, without is_active.
	if err := exec(pool, `INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at, disabled_at)
		VALUES ($1, 'frank@example.org', 'frank@example.org', 'h', '2025-01-02', '2025-01-02', '2025-01-02')`, frank); err != nil {
		t.Fatalf("ctitui insert: %v", err)
	}
	if u := get(frank); u.active == nil || *u.active {
		t.Errorf("ctitui's disabled user: is_active %v; want false", u.active)
	}

	// The dashboard deactivates alice: ctitui sees her disabled, and
	// updated_at moves.
	before := get(alice)
	if err := exec(dash, `UPDATE users SET is_active = false WHERE id = $1`, alice); err != nil {
		t.Fatal(err)
	}
	if u := get(alice); u.disabled == nil || !u.updated.After(before.updated) {
		t.Errorf("after the dashboard deactivated alice: disabled_at %v, updated_at %v (was %v); want set, moved", u.disabled, u.updated, before.updated)
	}
	// ctitui enables bob: the dashboard sees him active.
	if err := exec(pool, `UPDATE users SET disabled_at = NULL, updated_at = '2026-01-01' WHERE id = $1`, bob); err != nil {
		t.Fatal(err)
	}
	if u := get(bob); !*u.active || !u.updated.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("after ctitui enabled bob: is_active %v, updated_at %v; want true, the time ctitui wrote", *u.active, u.updated)
	}
	// ctitui disables him again.
	if err := exec(pool, `UPDATE users SET disabled_at = '2026-01-02', updated_at = '2026-01-02' WHERE id = $1`, bob); err != nil {
		t.Fatal(err)
	}
	if u := get(bob); *u.active {
		t.Error("after ctitui disabled bob: is_active true; want false")
	}
	// A writer that changes both, and they disagree (is_active NULL is no
	// "active"): disabled wins. (Both cannot change and disagree the
	// other way: the row was in step before.)
	for _, sql := range []string{
		`UPDATE users SET is_active = true, disabled_at = '2026-01-03' WHERE id = $1`,
		`UPDATE users SET is_active = NULL, disabled_at = NULL WHERE id = $1`,
	} {
		if err := exec(dash, sql, bob); err != nil {
			t.Fatal(err)
		}
		if u := get(bob); *u.active || u.disabled == nil {
			t.Errorf("after %s: is_active %v, disabled_at %v; want false, set", sql, *u.active, u.disabled)
		}
	}
	// The dashboard changes an email: the normalised one follows.
	if err := exec(dash, `UPDATE users SET email = 'Alice.New@Example.org' WHERE id = $1`, alice); err != nil {
		t.Fatal(err)
	}
	if u := get(alice); u.normalized != "alice.new@example.org" {
		t.Errorf("after the dashboard changed alice's email: normalised %q; want alice.new@example.org", u.normalized)
	}
	// created_at never moves, whoever asks.
	for _, conn := range []interface {
		Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	}{dash, pool} {
		if err := exec(conn, `UPDATE users SET created_at = '2020-01-01' WHERE id = $1`, alice); err == nil || !strings.Contains(err.Error(), "created_at cannot change") {
			t.Errorf("changing created_at: %v; want refused", err)
		}
	}

	// ctitui cannot delete dora: the dashboard's api_tokens would go
	// with her (ON DELETE CASCADE). Nor alice: indicators refer to her
	// (the key refuses by itself).
	for _, id := range []string{dora, alice} {
		err := exec(pool, `DELETE FROM users WHERE id = $1`, id)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "23503" {
			t.Errorf("ctitui deleting %s: %v; want a foreign key violation", id, err)
		}
	}
	var tokens int
	if err := dash.QueryRow(ctx, `SELECT count(*) FROM api_tokens`).Scan(&tokens); err != nil || tokens != 1 {
		t.Errorf("api_tokens: %d rows, %v; want 1", tokens, err)
	}
	// ctitui deletes bob, who has a role link and nothing else.
	if err := exec(pool, `DELETE FROM users WHERE id = $1`, bob); err != nil {
		t.Errorf("ctitui deleting bob: %v", err)
	}
	// The dashboard's own delete of dora keeps working as its schema says.
	for _, sql := range []string{`DELETE FROM user_roles WHERE user_id = $1`, `DELETE FROM users WHERE id = $1`} {
		if err := exec(dash, sql, dora); err != nil {
			t.Errorf("dashboard deleting dora: %s: %v", sql, err)
		}
	}
	if err := dash.QueryRow(ctx, `SELECT count(*) FROM api_tokens`).Scan(&tokens); err != nil || tokens != 0 {
		t.Errorf("api_tokens after the dashboard deleted dora: %d rows, %v; want 0 (its cascade)", tokens, err)
	}
}

// TestAdoptedEmailFold compares the normalised email the trigger gives rows
// the dashboard writes with ctitui's own: equal for ASCII without
// punycode, and for the ß that lower() keeps.
func TestAdoptedEmailFold(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDashboard(t)
	pool := ctituiPool(t, dbURL)
	if _, err := postgres.Adopt(ctx, pool, time.Second); err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	for _, email := range []string{
		"Plain@Example.ORG", "  spaced@example.org\t", "Straße@example.de", "STRASSE@EXAMPLE.DE",
		"Élodie@Exemple.fr", "E\u0301lodie@exemple.fr", "ÀNGEL@ejemplo.es", "ivan@ПРИМЕР.рф",
	} {
		var got string
		if err := pool.QueryRow(ctx, `SELECT ctitui.adopted_email_fold($1)`, email).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := user.NormalizeEmail(email); got != want {
			t.Errorf("adopted_email_fold(%q) = %q; want %q (user.NormalizeEmail)", email, got, want)
		}
	}
	// Under a Turkish collation lower('I') is 'ı': an ASCII address from a
	// column or database with one still folds as Go folds it.
	var turkish bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'tr-x-icu')`).Scan(&turkish); err != nil {
		t.Fatal(err)
	}
	if !turkish {
		t.Log("no tr-x-icu collation on this server: the Turkish case is not checked")
		return
	}
	var got string
	if err := pool.QueryRow(ctx, `SELECT ctitui.adopted_email_fold('INFO@EXAMPLE.ORG' COLLATE "tr-x-icu")`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "info@example.org" {
		t.Errorf("adopted_email_fold('INFO@EXAMPLE.ORG' COLLATE \"tr-x-icu\") = %q; want info@example.org", got)
	}
}

// TestAdoptAfterTheSeedsWorkaround adopts a dashboard database on which
// someone ran the workaround of the original report (ALTER TABLE users ADD
// COLUMN IF NOT EXISTS updated_at TIMESTAMP NOT NULL DEFAULT NOW()): the
// column and its values are kept, and the rest is adopted as usual.
func TestAdoptAfterTheSeedsWorkaround(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDashboard(t, `ALTER TABLE users ADD COLUMN IF NOT EXISTS updated_at TIMESTAMP NOT NULL DEFAULT NOW()`)
	conn := dashboardConn(t, dbURL)
	var before []string
	rows, _ := conn.Query(ctx, `SELECT id || ' ' || updated_at FROM users ORDER BY id`)
	before, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	report, err := postgres.Adopt(ctx, ctituiPool(t, dbURL), time.Second)
	if err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	if want := []string{"users.email_normalized", "users.disabled_at", "users.last_login_at"}; strings.Join(report.Added, " ") != strings.Join(want, " ") {
		t.Errorf("columns added: %v; want %v", report.Added, want)
	}
	rows, _ = conn.Query(ctx, `SELECT id || ' ' || updated_at FROM users ORDER BY id`)
	after, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("updated_at after adoption:\n%s\nwant as it was:\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
}
