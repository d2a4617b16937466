package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/user"
)

// roleNamesByEmail reads every user's role_names, as "email=names".
func roleNamesByEmail(t *testing.T, path string) []string {
	t.Helper()
	return readRows(t, path, `SELECT email || '=' || role_names FROM users ORDER BY email`)
}

// wrongRoleNames counts the users whose role_names differs from user_roles.
func wrongRoleNames(t *testing.T, path string) int {
	t.Helper()
	raw := openRawSQLite(t, path, true)
	n, err := sqlite.CountWrongRoleNames(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRoleNamesFollowRawEdits edits user_roles, roles and users as another
// tool would (plain SQL, foreign keys off, as in the sqlite3 shell) and
// checks that the schema's triggers keep every user's role_names right.
func TestRoleNamesFollowRawEdits(t *testing.T) {
	// docDB: ana admin, bo analyst (the default), cy analyst and viewer.
	for _, tc := range []struct {
		name  string
		stmts []string
		want  []string
	}{
		{"nothing", nil,
			[]string{"ana@example.org=admin", "bo@example.org=analyst", "cy@example.org=analyst,viewer"}},
		{"a link added", []string{`INSERT INTO user_roles (user_id, role_id) SELECT id, (SELECT id FROM roles WHERE name = 'admin') FROM users WHERE email = 'cy@example.org'`},
			[]string{"ana@example.org=admin", "bo@example.org=analyst", "cy@example.org=admin,analyst,viewer"}},
		{"a link removed", []string{`DELETE FROM user_roles WHERE user_id = (SELECT id FROM users WHERE email = 'ana@example.org')`},
			[]string{"ana@example.org=", "bo@example.org=analyst", "cy@example.org=analyst,viewer"}},
		{"a link moved to another user", []string{`UPDATE user_roles SET user_id = (SELECT id FROM users WHERE email = 'bo@example.org') WHERE user_id = (SELECT id FROM users WHERE email = 'ana@example.org')`},
			[]string{"ana@example.org=", "bo@example.org=admin,analyst", "cy@example.org=analyst,viewer"}},
		{"a link moved to another role", []string{`UPDATE user_roles SET role_id = (SELECT id FROM roles WHERE name = 'viewer') WHERE user_id = (SELECT id FROM users WHERE email = 'ana@example.org')`},
			[]string{"ana@example.org=viewer", "bo@example.org=analyst", "cy@example.org=analyst,viewer"}},
		{"a role renamed", []string{`UPDATE roles SET name = 'reader' WHERE name = 'viewer'`},
			[]string{"ana@example.org=admin", "bo@example.org=analyst", "cy@example.org=analyst,reader"}},
		{"a role deleted, its links left behind", []string{`DELETE FROM roles WHERE name = 'admin'`},
			[]string{"ana@example.org=", "bo@example.org=analyst", "cy@example.org=analyst,viewer"}},
		{"a role deleted and put back under its id", []string{`CREATE TEMP TABLE keep AS SELECT * FROM roles WHERE name = 'admin'`, `DELETE FROM roles WHERE name = 'admin'`, `INSERT INTO roles SELECT * FROM keep`},
			[]string{"ana@example.org=admin", "bo@example.org=analyst", "cy@example.org=analyst,viewer"}},
		{"the column written by hand", []string{`UPDATE users SET role_names = 'admin' WHERE email = 'bo@example.org'`},
			[]string{"ana@example.org=admin", "bo@example.org=analyst", "cy@example.org=analyst,viewer"}},
		{"the column written by hand with another column", []string{`UPDATE users SET role_names = 'admin,viewer', email = 'bo2@example.org', email_normalized = 'bo2@example.org' WHERE email = 'bo@example.org'`},
			[]string{"ana@example.org=admin", "bo2@example.org=analyst", "cy@example.org=analyst,viewer"}},
		{"a user's id changed, its links left behind", []string{`UPDATE users SET id = 'new-id' WHERE email = 'ana@example.org'`},
			[]string{"ana@example.org=", "bo@example.org=analyst", "cy@example.org=analyst,viewer"}},
		{"a user inserted claiming roles, with none", []string{`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at, role_names)
			VALUES ('dee', 'dee@example.org', 'dee@example.org', '', '2030-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z', 'admin')`},
			[]string{"ana@example.org=admin", "bo@example.org=analyst", "cy@example.org=analyst,viewer", "dee@example.org="}},
		{"a user inserted after its links", []string{`INSERT INTO user_roles (user_id, role_id) SELECT 'dee', id FROM roles WHERE name IN ('viewer', 'admin')`,
			`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
			VALUES ('dee', 'dee@example.org', 'dee@example.org', '', '2030-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z')`},
			[]string{"ana@example.org=admin", "bo@example.org=analyst", "cy@example.org=analyst,viewer", "dee@example.org=admin,viewer"}},
		{"a role of another program", []string{`INSERT INTO roles (name) VALUES ('auditor')`,
			`INSERT INTO user_roles (user_id, role_id) SELECT id, (SELECT id FROM roles WHERE name = 'auditor') FROM users WHERE email = 'cy@example.org'`},
			[]string{"ana@example.org=admin", "bo@example.org=analyst", "cy@example.org=analyst,viewer,auditor"}},
		{"a user deleted", []string{`DELETE FROM users WHERE email = 'ana@example.org'`},
			[]string{"bo@example.org=analyst", "cy@example.org=analyst,viewer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := docDB(t)
			writeSQLite(t, path, tc.stmts...)
			if got := roleNamesByEmail(t, path); !slices.Equal(got, tc.want) {
				t.Errorf("role_names = %q; want %q", got, tc.want)
			}
			if n := wrongRoleNames(t, path); n != 0 {
				t.Errorf("CountWrongRoleNames = %d; want 0", n)
			}
		})
	}
}

// TestRoleNamesFollowTheSQLiteShell makes the same kind of edit with the
// sqlite3 shell itself, whose SQLite (3.40 on Debian 12) must parse the
// triggers and run them as modernc's does.
func TestRoleNamesFollowTheSQLiteShell(t *testing.T) {
	shell, err := osexec.LookPath("sqlite3")
	if err != nil {
		t.Skip("no sqlite3 shell")
	}
	path := docDB(t)
	script := `INSERT INTO user_roles (user_id, role_id) SELECT id, (SELECT id FROM roles WHERE name = 'viewer') FROM users WHERE email = 'ana@example.org';
DELETE FROM user_roles WHERE user_id = (SELECT id FROM users WHERE email = 'cy@example.org') AND role_id = (SELECT id FROM roles WHERE name = 'analyst');
UPDATE users SET role_names = 'admin' WHERE email = 'bo@example.org';
`
	cmd := osexec.Command(shell, path)
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("sqlite3: %v: %s", err, stderr.String())
	}
	want := []string{"ana@example.org=admin,viewer", "bo@example.org=analyst", "cy@example.org=viewer"}
	if got := roleNamesByEmail(t, path); !slices.Equal(got, want) {
		t.Errorf("role_names after the shell's edits = %q; want %q", got, want)
	}
	// What the shell's own SQLite computes, the Go one agrees with.
	if n := wrongRoleNames(t, path); n != 0 {
		t.Errorf("CountWrongRoleNames = %d; want 0", n)
	}
	out, err := osexec.Command(shell, path, `SELECT count(*) FROM users u WHERE u.role_names IS NOT COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '')`).Output()
	if err != nil || strings.TrimSpace(string(out)) != "0" {
		t.Errorf("the shell counts %q wrong role names (%v); want 0", out, err)
	}
}

// plantRoleNames writes value into the role_names of the user with email
// with the triggers that would put it right out of the way, and puts them
// back: a file written by a tool that bypassed them, or a hostile one.
func plantRoleNames(t *testing.T, path, email, value string) {
	t.Helper()
	trig := readRows(t, path, `SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = 'users_role_names_update'`)
	if len(trig) != 1 {
		t.Fatalf("trigger users_role_names_update: %q", trig)
	}
	writeSQLite(t, path, `DROP TRIGGER users_role_names_update`,
		`UPDATE users SET role_names = '`+value+`' WHERE email = '`+email+`'`, trig[0])
}

func TestDoctorRepairsRoleNames(t *testing.T) {
	ctx := context.Background()
	path := docDB(t)
	plantRoleNames(t, path, "bo@example.org", "admin")
	plantRoleNames(t, path, "cy@example.org", "")
	s := openStore(t, path, db.Options{})
	rep, err := s.Doctor(ctx, docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	if !hasFinding(rep, "role names", user.SeverityProblem, "2 users have role_names that differ") || rep.Healthy() {
		_, all := docFindings(rep, "")
		t.Fatalf("doctor:%s\nwant the 2 wrong role_names reported", all)
	}
	rep, err = s.Doctor(ctx, docOptions(true))
	if err != nil {
		t.Fatal(err)
	}
	if f := findingOf(rep, "role names"); f.Severity != user.SeverityOK || !f.Fixed || !rep.Healthy() {
		_, all := docFindings(rep, "")
		t.Errorf("doctor --fix:%s\nwant role names fixed", all)
	}
	want := []string{"ana@example.org=admin", "bo@example.org=analyst", "cy@example.org=analyst,viewer"}
	if got := roleNamesByEmail(t, path); !slices.Equal(got, want) {
		t.Errorf("role_names after --fix = %q; want %q", got, want)
	}
}

// TestWrongRoleNamesDecideNothing plants role names that claim more than
// user_roles grants (a file written with the triggers off) and checks that
// nothing that decides, or that grants roles elsewhere, believes them:
// only the listing people read shows the column, and doctor reports it.
func TestWrongRoleNamesDecideNothing(t *testing.T) {
	ctx := context.Background()
	path := docDB(t)
	plantRoleNames(t, path, "bo@example.org", "admin")
	s := openStore(t, path, db.Options{})
	svc := newService(s)
	u, err := svc.Get(ctx, "bo@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(u.Roles, []user.Role{user.RoleAnalyst}) {
		t.Errorf("Get(bo).Roles = %v; want [analyst] from user_roles", u.Roles)
	}
	var admins []string
	err = svc.List(ctx, user.ListOptions{Filter: user.Filter{Role: user.RoleAdmin}}, func(u user.User) error {
		admins = append(admins, u.Email)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(admins, []string{"ana@example.org"}) {
		t.Errorf("List(role admin) = %q; want only ana", admins)
	}
	// Taking bo's only role leaves bo with none, whatever the column said.
	if _, err := svc.SetRoles(ctx, "bo@example.org", []user.Role{user.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	if u, err := svc.Get(ctx, "bo@example.org"); err != nil || !slices.Equal(u.Roles, []user.Role{user.RoleViewer}) {
		t.Errorf("after SetRoles(viewer): %v, %v; want [viewer]", u.Roles, err)
	}
	plantRoleNames(t, path, "bo@example.org", "admin")
	for _, hashes := range []bool{false, true} {
		var got []string
		err = s.ListUsers(ctx, user.ListOptions{LinkedRoles: true, WithHashes: hashes}, func(u user.User) error {
			got = append(got, u.Email+"="+user.JoinRoles(u.Roles))
			if (u.PasswordHash != "") != hashes {
				t.Errorf("ListUsers(LinkedRoles, WithHashes %v): %s's hash %q", hashes, u.Email, u.PasswordHash)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		want := []string{"ana@example.org=admin", "bo@example.org=viewer", "cy@example.org=analyst,viewer"}
		if !slices.Equal(got, want) {
			t.Errorf("ListUsers(LinkedRoles, WithHashes %v) = %q; want %q", hashes, got, want)
		}
	}
}

// TestRestoreRecomputesRoleNames restores a backup whose role_names lie:
// the restored file's column follows user_roles.
func TestRestoreRecomputesRoleNames(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	bkDB(t, live, "live", 2)
	src := docDB(t)
	plantRoleNames(t, src, "bo@example.org", "admin")
	s, _, err := sqlite.Restore(ctx, live, src, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	want := []string{"ana@example.org=admin", "bo@example.org=analyst", "cy@example.org=analyst,viewer"}
	if got := roleNamesByEmail(t, live); !slices.Equal(got, want) {
		t.Errorf("role_names after restore = %q; want %q", got, want)
	}
}

// TestMigrationFillsRoleNames migrates a file with users and roles from
// version 10: every user gets its names.
func TestMigrationFillsRoleNames(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v10.db")
	raw := openRawSQLite(t, path, false)
	p, err := sqlite.NewMigrationProvider(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 10); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at) VALUES
			('u1', 'a@example.org', 'a@example.org', '', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'),
			('u2', 'b@example.org', 'b@example.org', '', '2024-01-02T00:00:00.000Z', '2024-01-02T00:00:00.000Z'),
			('u3', 'c@example.org', 'c@example.org', '', '2024-01-03T00:00:00.000Z', '2024-01-03T00:00:00.000Z')`,
		`INSERT INTO user_roles (user_id, role_id) SELECT 'u1', id FROM roles WHERE name IN ('viewer', 'admin', 'analyst')`,
		`INSERT INTO user_roles (user_id, role_id) SELECT 'u2', id FROM roles WHERE name = 'viewer'`,
	} {
		if _, err := raw.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	s := openStore(t, path, db.Options{})
	s.Close()
	want := []string{"a@example.org=admin,analyst,viewer", "b@example.org=viewer", "c@example.org="}
	if got := roleNamesByEmail(t, path); !slices.Equal(got, want) {
		t.Errorf("role_names after migrating = %q; want %q", got, want)
	}
}

// TestMigrationTriggersRepeatTheExpression holds migration 11 to the
// expression doctor compares with: every trigger computes the names with it.
func TestMigrationTriggersRepeatTheExpression(t *testing.T) {
	path := docDB(t)
	for _, sqlText := range readRows(t, path, `SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '%names%'`) {
		id := "users.id"
		if strings.Contains(sqlText, "WHEN NEW.role_names") {
			id = "NEW.id"
		}
		if want := strings.Replace(sqlite.RoleNamesOf, "%s", id, 1); !strings.Contains(sqlText, want) {
			t.Errorf("trigger does not compute the names with db's expression:\n%s\nwant it to contain\n%s", sqlText, want)
		}
	}
	if n := len(readRows(t, path, `SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '%names%'`)); n != 8 {
		t.Errorf("%d role-names triggers; want 8", n)
	}
}

// TestListingInRowidOrderMatchesKeyOrder pages through the users with
// every cursor form twice, once walking rowids (users_order holds) and once
// the (created_at, id) index (the order marked lost), and wants the same
// pages.
func TestListingInRowidOrderMatchesKeyOrder(t *testing.T) {
	ctx := context.Background()
	path := docDB(t)
	s := openStore(t, path, db.Options{})
	svc := newService(s)
	for _, e := range []string{"dee@example.org", "eve@example.org", "fay@example.org", "gus@example.org"} {
		if _, err := svc.Register(ctx, e, bkPassword, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Two users created in the same millisecond as eve, written by another
	// tool at rowids out of order: id decides between them, and the
	// renumbering puts the rowids back in order.
	writeSQLite(t, path, `INSERT INTO users (rowid, id, email, email_normalized, hashed_password, created_at, updated_at)
		SELECT 1, 'zz', 'hal@example.org', 'hal@example.org', '', created_at, created_at FROM users WHERE email = 'eve@example.org'`,
		`INSERT INTO users (rowid, id, email, email_normalized, hashed_password, created_at, updated_at)
		SELECT 2, '00', 'ida@example.org', 'ida@example.org', '', created_at, created_at FROM users WHERE email = 'eve@example.org'`)
	if in, err := s.RenumberUsers(ctx); err != nil || !in {
		t.Fatalf("RenumberUsers = %v, %v; want true", in, err)
	}
	pages := func() string {
		t.Helper()
		var b strings.Builder
		all := func(opts user.ListOptions) []user.User {
			var us []user.User
			if err := s.ListUsers(ctx, opts, func(u user.User) error { us = append(us, u); return nil }); err != nil {
				t.Fatal(err)
			}
			return us
		}
		full := all(user.ListOptions{})
		fmt.Fprintf(&b, "%+v", full)
		for _, u := range full {
			cur := &user.Cursor{Key: user.FormatTime(u.CreatedAt), ID: u.ID}
			for _, opts := range []user.ListOptions{
				{After: cur, Limit: 2}, {After: cur, Limit: 2, Reverse: true},
				{After: cur, Limit: 2, Inclusive: true}, {After: cur, Limit: 2, Reverse: true, Inclusive: true},
			} {
				for _, v := range all(opts) {
					b.WriteString(" " + v.Email)
				}
				b.WriteString("\n")
			}
		}
		return b.String()
	}
	if in, err := s.UsersInOrder(ctx); err != nil || !in {
		t.Fatalf("UsersInOrder = %v, %v; want true", in, err)
	}
	byRowid := pages()
	writeSQLite(t, path, `UPDATE users_order SET in_order = 0`)
	byKey := pages()
	if byRowid != byKey {
		t.Errorf("pages in rowid order:\n%s\nwant those in key order:\n%s", byRowid, byKey)
	}
	if !strings.Contains(byKey, "ida@example.org") || strings.Count(byKey, "\n") != 9*4 {
		t.Errorf("pages in key order:\n%s\nwant 4 pages for each of 9 users", byKey)
	}
}

// TestUnknownRoleNamesGrantNothing: a role name ctitui does not know, put
// in the roles table by another tool, is never read as one it does: not
// one with a comma that splits into "admin" where roles are joined, nor a
// case or space variant that an import would fold into "admin". ctitui
// leaves such links out of every read (shown, exported, counted) and doctor
// names them.
func TestUnknownRoleNamesGrantNothing(t *testing.T) {
	ctx := context.Background()
	path := docDB(t)
	s := openStore(t, path, db.Options{})
	if _, err := newService(s).Register(ctx, "carol@example.org", bkPassword, []user.Role{user.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	raw := openRawSQLite(t, path, false)
	for _, name := range []string{"viewer,admin", "admin,", "ADMIN", " admin", "admin\x00"} {
		if _, err := raw.ExecContext(ctx, `INSERT INTO roles (name) VALUES (?)`, name); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.ExecContext(ctx, `INSERT INTO user_roles (user_id, role_id)
			SELECT u.id, r.id FROM users u, roles r WHERE u.email = 'carol@example.org' AND r.name = ?`, name); err != nil {
			t.Fatal(err)
		}
	}
	want := []user.Role{user.RoleViewer}
	u, err := s.UserByEmail(ctx, "carol@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(u.Roles, want) {
		t.Errorf("UserByEmail roles = %q; want %q", u.Roles, want)
	}
	for _, opts := range []user.ListOptions{{}, {LinkedRoles: true}, {LinkedRoles: true, WithHashes: true}} {
		err := s.ListUsers(ctx, opts, func(u user.User) error {
			if u.Email == "carol@example.org" && !slices.Equal(u.Roles, want) {
				t.Errorf("ListUsers(%+v) roles = %q; want %q", opts, u.Roles, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.EnabledAdmins(ctx); err != nil || n != 1 {
		t.Errorf("EnabledAdmins = %d, %v; want 1 (docDB's admin only)", n, err)
	}
	rep, err := s.Doctor(ctx, db.DoctorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := findingOf(rep, "roles")
	if f.Severity != user.SeverityProblem || !strings.Contains(f.Message, `"viewer,admin"`) || !strings.Contains(f.Message, `"ADMIN"`) {
		t.Errorf("doctor's roles finding = %+v; want a problem naming the unknown roles", f)
	}
	if got := queryInt(t, raw, `SELECT count(*) FROM users u WHERE `+sqlite.WrongRoleNames); got != 0 {
		t.Errorf("%d users' role_names differ from what ctitui reads; want 0", got)
	}
}
