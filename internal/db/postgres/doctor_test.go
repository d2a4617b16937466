package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/user"
)

// doctorNow stamps the repairs of these tests.
var doctorNow = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)

// problems lists a report's findings that are problems, one per line.
func problems(rep db.DoctorReport) string {
	var b strings.Builder
	for _, f := range rep.Findings {
		if f.Severity == user.SeverityProblem {
			b.WriteString(f.Check + ": " + f.Message + "\n")
		}
	}
	return b.String()
}

// runDoctor runs Doctor and fails the test on an error.
func runDoctor(t *testing.T, s *postgres.Store, opts db.DoctorOptions) db.DoctorReport {
	t.Helper()
	opts.Now, opts.Actor = doctorNow, "tester"
	rep, err := s.Doctor(context.Background(), opts)
	if err != nil {
		t.Fatalf("Doctor(%+v): %v", opts, err)
	}
	return rep
}

// TestDoctorFreshDatabaseIsHealthy: a new database, with users, is healthy
// in a quick look and a full one, the quick look says what it skipped, and
// nothing of the reference schema is left behind.
func TestDoctorFreshDatabaseIsHealthy(t *testing.T) {
	svc, store, dbURL, _ := newService(t)
	mustRegister(t, svc, "admin@example.org", user.RoleAdmin)
	mustRegister(t, svc, "Straße@example.de")
	for _, full := range []bool{false, true} {
		rep := runDoctor(t, store, db.DoctorOptions{Full: full})
		if !rep.Healthy() {
			t.Errorf("Full=%v: not healthy; problems:\n%s", full, problems(rep))
		}
		if got, want := len(rep.Skipped) > 0, !full; got != want {
			t.Errorf("Full=%v: Skipped = %v; want some: %v", full, rep.Skipped, want)
		}
	}
	var left bool
	if err := rawConn(t, dbURL).QueryRow(context.Background(), `SELECT to_regnamespace('ctitui_doctor_ref') IS NOT NULL`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left {
		t.Error("schema ctitui_doctor_ref exists after doctor; want the reference rolled back")
	}
}

// TestDoctorReadOnlyIsHealthy: doctor without --fix runs on a read-only
// open, as the command opens it, and still builds its reference schema (in
// a read-write transaction that is rolled back) instead of calling a
// healthy database broken.
func TestDoctorReadOnlyIsHealthy(t *testing.T) {
	svc, store, dbURL, _ := newService(t)
	mustRegister(t, svc, "admin@example.org", user.RoleAdmin)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := postgres.OpenReadOnly(context.Background(), dbURL, postgres.Options{})
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	t.Cleanup(func() { ro.Close() })
	if rep := runDoctor(t, ro, db.DoctorOptions{}); !rep.Healthy() {
		t.Errorf("read-only doctor: not healthy; problems:\n%s", problems(rep))
	}
}

// TestDoctorFindsAndRepairs plants each problem by SQL, as another program
// or a person in psql would: doctor reports it in words, --fix repairs
// what it may, and a database it repaired is healthy; what it may not
// repair stays reported and untouched.
func TestDoctorFindsAndRepairs(t *testing.T) {
	type planted struct {
		name    string
		plant   []string
		check   string
		message string // part of the problem's message
		fixable bool
	}
	cases := []planted{
		{"dropped index", []string{`DROP INDEX users_created_at_idx`},
			"schema", "index users_created_at_idx on users is missing", true},
		{"invalid index of ctitui's", []string{`DROP INDEX users_updated_at_idx`, `CREATE UNIQUE INDEX CONCURRENTLY users_updated_at_idx ON users (role_names)`},
			"schema", "index users_updated_at_idx on users is not the one ctitui's migrations make", true},
		{"invalid foreign index", []string{`CREATE UNIQUE INDEX CONCURRENTLY users_role_names_key ON users (role_names)`},
			"schema", "index users_role_names_key on users, which ctitui did not create, is invalid", false},
		{"disabled trigger", []string{`ALTER TABLE users DISABLE TRIGGER users_timestamps`},
			"schema", "trigger users_timestamps on users is disabled", true},
		{"changed trigger", []string{`DROP TRIGGER users_email_skeleton_stale ON users`,
			`CREATE TRIGGER users_email_skeleton_stale BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_email_skeleton_stale()`},
			"schema", "trigger users_email_skeleton_stale on users is not the one", true},
		{"changed function", []string{`CREATE OR REPLACE FUNCTION users_timestamps() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`},
			"schema", "function users_timestamps is not the one ctitui's migrations make", true},
		{"foreign trigger", []string{`CREATE FUNCTION public.steal() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
			`CREATE TRIGGER steal AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION public.steal()`},
			"schema", "trigger steal on users was not created by ctitui", false},
		{"foreign rule", []string{`CREATE RULE keep AS ON DELETE TO audit_log DO INSTEAD NOTHING`},
			"schema", "rule keep on audit_log was not created by ctitui", false},
		{"replica-only trigger", []string{`ALTER TABLE user_roles ENABLE REPLICA TRIGGER user_roles_changed`},
			"schema", "trigger user_roles_changed on user_roles is set to fire only for replication", true},
		{"row level security", []string{`ALTER TABLE users ENABLE ROW LEVEL SECURITY`, `CREATE POLICY hide ON users USING (email <> 'admin@example.org')`},
			"schema", "users has row level security (policies: hide)", false},
		{"shadowed table", []string{`CREATE TABLE public.audit_log (id bigint)`},
			"schema", "there are two audit_log tables: ctitui reads and writes ctitui.audit_log, and public.audit_log", false},
		{"readable safety copy", []string{`CREATE SCHEMA ctitui_backup`, `CREATE TABLE ctitui_backup.users_copy AS TABLE users`, `GRANT SELECT ON ctitui_backup.users_copy TO PUBLIC`},
			"grants", "users_copy to PUBLIC", false},
		{"grant to PUBLIC", []string{`GRANT SELECT ON users TO PUBLIC`},
			"grants", " users to PUBLIC", false},
		{"column grant", []string{`GRANT SELECT (details) ON audit_log TO PUBLIC`},
			"grants", "audit_log to PUBLIC", false},
		{"changed column type", []string{`ALTER TABLE users ALTER COLUMN last_login_at TYPE timestamp`},
			"schema", "column users.last_login_at is timestamp without time zone, ctitui's migrations make it timestamp with time zone", false},
		{"changed nullability", []string{`ALTER TABLE audit_log ALTER COLUMN user_id SET NOT NULL`},
			"schema", "column audit_log.user_id is NOT NULL", false},
		{"changed collation", []string{`ALTER TABLE users ALTER COLUMN email_normalized TYPE text COLLATE "POSIX"`},
			"schema", `column users.email_normalized has collation "POSIX"`, false},
		{"wrong role names", []string{`ALTER TABLE users DISABLE TRIGGER users_role_names`,
			`UPDATE users SET role_names = 'admin' WHERE email = 'viewer@example.org'`, `ALTER TABLE users ENABLE TRIGGER users_role_names`},
			"role names", `"viewer@example.org" shows "admin", has "viewer"`, true},
		{"dashboard's ß email", []string{`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
			VALUES ('dash-1', 'Straße@Example.DE', lower('Straße@Example.DE'), 'x', now(), now())`},
			"emails", `"Straße@Example.DE" (ctitui normalises it to "strasse@example.de")`, true},
		{"wrong look-alike key", []string{`UPDATE users SET email_skeleton = 'nobody' WHERE email = 'viewer@example.org'`},
			"look-alikes", `1 users' look-alike key is not what ctitui computes`, true},
		{"missing role", []string{`DELETE FROM roles WHERE name = 'viewer' AND NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.role_id = roles.id)`,
			`DELETE FROM user_roles WHERE role_id = (SELECT id FROM roles WHERE name = 'viewer')`, `DELETE FROM roles WHERE name = 'viewer'`},
			"roles", "roles missing: viewer", true},
		{"cut audit log", []string{`DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)`},
			"audit chain", "the newest entries were removed", false},
		{"changed audit entry", []string{`UPDATE audit_log SET details = 'nothing happened' WHERE id = (SELECT min(id) FROM audit_log)`},
			"audit chain", "audit chain", false},
		{"lockout setting", []string{`UPDATE settings SET value = 'many' WHERE key = 'lockout_threshold'`},
			"settings", `lockout_threshold is "many"`, true},
	}
	// What doctor must not repair is planted together in one database (a
	// database per case costs a server's worth of time); each repairable
	// problem, and each break of the audit chain, has its own.
	groups := map[string][]planted{}
	for _, tc := range cases {
		name := tc.name
		if !tc.fixable && tc.check != "audit chain" {
			name = "unrepairable together"
		}
		groups[name] = append(groups[name], tc)
	}
	for name, group := range groups {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			svc, store, dbURL, _ := newService(t)
			mustRegister(t, svc, "admin@example.org", user.RoleAdmin)
			mustRegister(t, svc, "viewer@example.org", user.RoleViewer)
			mustRegister(t, svc, "a1@example.org", user.RoleAnalyst)
			mustRegister(t, svc, "a2@example.org", user.RoleAnalyst)
			conn := rawConn(t, dbURL)
			for _, tc := range group {
				for _, sql := range tc.plant {
					// CREATE INDEX CONCURRENTLY on duplicates fails, and
					// leaves the invalid index it was after.
					if _, err := conn.Exec(ctx, sql); err != nil && !strings.Contains(sql, "CONCURRENTLY") {
						t.Fatalf("%s: plant %q: %v", tc.name, sql, err)
					}
				}
			}
			rep := runDoctor(t, store, db.DoctorOptions{Full: true})
			got := problems(rep)
			for _, tc := range group {
				if !strings.Contains(got, tc.check+": ") || !strings.Contains(got, tc.message) {
					t.Errorf("%s: problems:\n%s\nwant a %q problem saying %q", tc.name, got, tc.check, tc.message)
				}
			}
			// A repair's report is the full check made again after it.
			fixed := runDoctor(t, store, db.DoctorOptions{Fix: true})
			if !group[0].fixable {
				for _, tc := range group {
					if !strings.Contains(problems(fixed), tc.message) {
						t.Errorf("%s: after --fix, problems:\n%s\nwant %q still reported: doctor must not repair it", tc.name, problems(fixed), tc.message)
					}
				}
				return
			}
			if !fixed.Healthy() {
				t.Fatalf("after --fix (repairs %q), problems:\n%s\nwant healthy", fixed.Repairs, problems(fixed))
			}
			if !strings.HasPrefix(fixed.Backup, "ctitui_backup.users_pre_repair_") {
				t.Errorf("Backup = %q; want a safety copy in schema ctitui_backup", fixed.Backup)
			}
			var copied, action int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+fixed.Backup).Scan(&copied); err != nil {
				t.Fatalf("read the safety copy: %v", err)
			}
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = $1 AND details LIKE '%' || $2`, string(user.ActionRepair), fixed.Backup).Scan(&action); err != nil {
				t.Fatal(err)
			}
			if copied < 4 || action != 1 {
				t.Errorf("safety copy has %d users, %d repair entries name it; want every user and 1 entry", copied, action)
			}
		})
	}
}

// TestDoctorQuickLookSkipsRowChecks: a quick look leaves the per-row checks
// out and says so; the full one finds what they find.
func TestDoctorQuickLookSkipsRowChecks(t *testing.T) {
	svc, store, dbURL, _ := newService(t)
	mustRegister(t, svc, "viewer@example.org", user.RoleViewer)
	conn := rawConn(t, dbURL)
	for _, sql := range []string{`ALTER TABLE users DISABLE TRIGGER users_role_names`, `UPDATE users SET role_names = 'admin'`, `ALTER TABLE users ENABLE TRIGGER users_role_names`} {
		if _, err := conn.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	quick := runDoctor(t, store, db.DoctorOptions{})
	if !strings.Contains(strings.Join(quick.Skipped, ","), "role names") || quick.Full {
		t.Errorf("quick look: Full %v, Skipped %q; want role names skipped", quick.Full, quick.Skipped)
	}
	if full := runDoctor(t, store, db.DoctorOptions{Full: true}); full.Healthy() {
		t.Error("full look: healthy; want the wrong role names found")
	}
}

// TestDoctorAdoptedDashboardIsHealthy: a database adopted from the
// dashboard, its own tables, column types and extra columns kept, is
// healthy; and a trigger of adoption's disabled is found and enabled.
func TestDoctorAdoptedDashboardIsHealthy(t *testing.T) {
	for _, tc := range []struct{ name, schema string }{{"uuid ids", dashboardSchema}, {"text ids", textIDs}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dbURL := newDashboardWith(t, tc.schema)
			store := openStore(t, dbURL, postgres.Options{})
			rep := runDoctor(t, store, db.DoctorOptions{Full: true})
			if !rep.Healthy() {
				t.Fatalf("adopted database not healthy; problems:\n%s", problems(rep))
			}
			for _, sql := range []string{`ALTER TABLE public.users DISABLE TRIGGER ctitui_adopted_sync`,
				`ALTER TABLE public.users ALTER COLUMN hashed_password TYPE integer USING length(hashed_password)`} {
				if _, err := rawConn(t, dbURL).Exec(context.Background(), sql); err != nil {
					t.Fatal(err)
				}
			}
			rep = runDoctor(t, store, db.DoctorOptions{Full: true})
			for _, want := range []string{"trigger ctitui_adopted_sync on users is disabled", "column users.hashed_password is integer"} {
				if got := problems(rep); !strings.Contains(got, want) {
					t.Errorf("problems:\n%s\nwant %q", got, want)
				}
			}
			runDoctor(t, store, db.DoctorOptions{Fix: true})
			rep = runDoctor(t, store, db.DoctorOptions{Full: true})
			if got := problems(rep); strings.Contains(got, "ctitui_adopted_sync") || !strings.Contains(got, "hashed_password is integer") {
				t.Errorf("after --fix, problems:\n%s\nwant the trigger enabled and the column type still reported", got)
			}
		})
	}
}

// TestDoctorRepairRefusedByTheData: a repair the data refuses (a unique
// index over two users that share a normalised email) is left out and said,
// and the others of the same run are made.
func TestDoctorRepairRefusedByTheData(t *testing.T) {
	ctx := context.Background()
	svc, store, dbURL, _ := newService(t)
	mustRegister(t, svc, "admin@example.org", user.RoleAdmin)
	conn := rawConn(t, dbURL)
	for _, sql := range []string{`DROP INDEX users_email_normalized_key`,
		`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at) VALUES ('dup', 'ADMIN@example.org', 'admin@example.org', 'x', now(), now())`,
		`ALTER TABLE users DISABLE TRIGGER users_timestamps`} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	rep := runDoctor(t, store, db.DoctorOptions{Fix: true})
	if got := problems(rep); !strings.Contains(got, "could not create index users_email_normalized_key") {
		t.Errorf("problems after --fix:\n%s\nwant the refused repair named", got)
	}
	if !slices.Contains(rep.Repairs, "enable trigger users_timestamps") {
		t.Errorf("Repairs = %q; want the trigger enabled all the same", rep.Repairs)
	}
	var enabled string
	if err := conn.QueryRow(ctx, `SELECT tgenabled::text FROM pg_trigger WHERE tgname = 'users_timestamps'`).Scan(&enabled); err != nil {
		t.Fatal(err)
	}
	if enabled != "O" {
		t.Errorf("users_timestamps tgenabled = %q after --fix; want O", enabled)
	}
}

// TestDoctorMembershipGrant: a role that belongs to the tables' owner reads
// what the owner reads. Making roles needs a superuser: the throwaway
// server trusts its socket, so the test connects as postgres (and skips
// on a server that does not let it).
func TestDoctorMembershipGrant(t *testing.T) {
	ctx := context.Background()
	_, store, dbURL, _ := newService(t)
	var owner string
	if err := rawConn(t, dbURL).QueryRow(ctx, `SELECT current_user`).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User("postgres")
	su, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Skipf("no superuser session on this server: %v", err)
	}
	t.Cleanup(func() { su.Close(ctx) })
	reader := fmt.Sprintf("doctor_reader_%d", time.Now().UnixNano())
	if _, err := su.Exec(ctx, `CREATE ROLE `+reader+` IN ROLE `+pgx.Identifier{owner}.Sanitize()); err != nil {
		t.Fatalf("create role: %v", err)
	}
	t.Cleanup(func() { _, _ = su.Exec(ctx, `DROP ROLE `+reader) })
	rep := runDoctor(t, store, db.DoctorOptions{})
	if got, want := problems(rep), "users to "+reader+" (a member of "+owner+")"; !strings.Contains(got, want) {
		t.Errorf("problems:\n%s\nwant %q", got, want)
	}
}
