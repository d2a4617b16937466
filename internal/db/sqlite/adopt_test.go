package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
	"github.com/ctitui/ctitui/migrations"
)

// adoptNow is the clock of the adoption tests: it names the backup.
var adoptNow = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// wantBackupName is the backup Open writes for path under adoptNow.
func wantBackupName(path string) string {
	return path + ".pre-adopt-20250102T030405.000Z.bak"
}

// notes collects what Open tells a person, safely across goroutines.
type notes struct {
	mu   sync.Mutex
	msgs []string
}

func (n *notes) notify(msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.msgs = append(n.msgs, msg)
}

func (n *notes) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.msgs)
}

// readRows returns query's single text column from path, opened read-only
// and closed before returning.
func readRows(t *testing.T, path, query string) []string {
	t.Helper()
	sqldb := openRawSQLite(t, path, true)
	defer sqldb.Close()
	return queryStrings(t, sqldb, query)
}

// tableShape describes a table the way a schema comparison needs: its
// columns (name, declared type, NOT NULL, primary-key position), its indexes
// with their columns, and its foreign keys.
func tableShape(t *testing.T, path, table string) []string {
	t.Helper()
	shape := readRows(t, path, fmt.Sprintf(`SELECT printf('col %%s %%s notnull=%%d pk=%%d', name, upper(type), "notnull", pk) FROM pragma_table_info('%s') ORDER BY cid`, table))
	shape = append(shape, readRows(t, path, fmt.Sprintf(`SELECT printf('index %%s unique=%%d (%%s)', il.name, il."unique",
		(SELECT group_concat(ii.name, ',') FROM pragma_index_info(il.name) ii))
		FROM pragma_index_list('%s') il WHERE il.origin = 'c' ORDER BY il.name`, table))...)
	shape = append(shape, readRows(t, path, fmt.Sprintf(`SELECT printf('fk %%s -> %%s(%%s) on delete %%s', "from", "table", "to", on_delete)
		FROM pragma_foreign_key_list('%s') ORDER BY "from"`, table))...)
	return shape
}

// gooseVersions lists the versions recorded in the file's goose table, in the
// order they were recorded.
func gooseVersions(t *testing.T, path string) []string {
	t.Helper()
	return readRows(t, path, `SELECT version_id FROM goose_db_version WHERE is_applied ORDER BY id`)
}

func TestOpenAdoptsMinimalLegacyDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "cti.db")
	// The earliest service: SQLite's CURRENT_TIMESTAMP default, no roles.
	writeSQLite(t, path,
		`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, hashed_password TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`,
		`INSERT INTO users (id, email, hashed_password, created_at) VALUES
			('6f1c2a9e-0001-4000-8000-000000000001', 'ana@example.org', 'legacy-hash-1', '2024-10-01 12:00:00'),
			('6f1c2a9e-0002-4000-8000-000000000002', 'ben@example.org', 'legacy-hash-2', '2024-10-01 12:00:00'),
			('6f1c2a9e-0003-4000-8000-000000000003', 'Cleo@Example.org', 'legacy-hash-3', '2024-10-01 12:00:00')`,
	)
	const rowsQuery = `SELECT id || '|' || email || '|' || hashed_password || '|' || created_at FROM users ORDER BY id`
	original := readRows(t, path, rowsQuery)

	var told notes
	s := openStore(t, path, db.Options{Notify: told.notify, Now: func() time.Time { return adoptNow }, Actor: "tester"})

	if got, want := s.SchemaVersion(), sqlite.LatestVersion(); got != want {
		t.Errorf("SchemaVersion() = %d; want %d", got, want)
	}
	if got, want := s.AppliedAtOpen(), versionsBetween(migrations.AdoptionBaseline+1, sqlite.LatestVersion()); !slices.Equal(got, want) {
		t.Errorf("AppliedAtOpen() = %v; want %v (adoption records 0..2, goose applies the rest)", got, want)
	}
	if got, want := gooseVersions(t, path), versionStrings(0, sqlite.LatestVersion()); !slices.Equal(got, want) {
		t.Errorf("goose_db_version = %v; want %v", got, want)
	}

	users := allUsers(t, s)
	if got, want := len(users), len(original); got != want {
		t.Errorf("ListUsers returned %d users; want %d", got, want)
	}
	for _, email := range []string{"ana@example.org", "ben@example.org", "Cleo@Example.org"} {
		u, ok := users[email]
		if !ok {
			t.Errorf("ListUsers has no %s; got %v", email, emailsOf(users))
			continue
		}
		if got, want := user.FormatTime(u.CreatedAt), "2024-10-01T12:00:00.000Z"; got != want {
			t.Errorf("%s CreatedAt = %s; want %s", email, got, want)
		}
		if !u.UpdatedAt.Equal(u.CreatedAt) {
			t.Errorf("%s UpdatedAt = %v; want CreatedAt %v", email, u.UpdatedAt, u.CreatedAt)
		}
		if got, want := u.Roles, []user.Role{user.RoleAnalyst}; !slices.Equal(got, want) {
			t.Errorf("%s Roles = %v; want %v", email, got, want)
		}
		if u.Disabled() {
			t.Errorf("%s DisabledAt = %v; want active", email, u.DisabledAt)
		}
	}
	// The stored text, not only what the Store parses from it.
	if got, want := readRows(t, path, `SELECT DISTINCT created_at || ' ' || updated_at FROM users`), []string{"2024-10-01T12:00:00.000Z 2024-10-01T12:00:00.000Z"}; !slices.Equal(got, want) {
		t.Errorf("stored created_at, updated_at = %q; want %q", got, want)
	}
	if got, want := readRows(t, path, `SELECT email_normalized FROM users ORDER BY email_normalized`), []string{"ana@example.org", "ben@example.org", "cleo@example.org"}; !slices.Equal(got, want) {
		t.Errorf("email_normalized = %q; want %q", got, want)
	}
	if u, err := s.UserByEmail(ctx, user.NormalizeEmail("CLEO@example.ORG")); err != nil || u.PasswordHash != "legacy-hash-3" {
		t.Errorf("UserByEmail(cleo) = %q, %v; want the legacy hash kept as is", u.PasswordHash, err)
	}

	// The rebuilt tables have exactly the shape a fresh database has.
	fresh := filepath.Join(dir, "fresh.db")
	openStore(t, fresh, db.Options{}).Close()
	for _, table := range []string{"users", "roles", "user_roles", "audit_log"} {
		if got, want := tableShape(t, path, table), tableShape(t, fresh, table); !slices.Equal(got, want) {
			t.Errorf("adopted %s shape:\n  %s\nwant (fresh database):\n  %s", table, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}
	const triggers = `SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name`
	if got, want := readRows(t, path, triggers), readRows(t, fresh, triggers); !slices.Equal(got, want) {
		t.Errorf("adopted triggers = %v; want %v", got, want)
	}

	// The backup: private, complete, and the file as it was.
	bak := wantBackupName(path)
	if got := backupsOf(t, path); !slices.Equal(got, []string{bak}) {
		t.Fatalf("backups = %v; want [%s]", got, bak)
	}
	assertMode(t, bak, 0o600)
	if got := readRows(t, bak, `PRAGMA integrity_check`); !slices.Equal(got, []string{"ok"}) {
		t.Errorf("backup integrity_check = %v; want [ok]", got)
	}
	if got := readRows(t, bak, rowsQuery); !slices.Equal(got, original) {
		t.Errorf("backup rows = %q; want the original %q", got, original)
	}
	if got := readRows(t, bak, `SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`); !slices.Equal(got, []string{"users"}) {
		t.Errorf("backup tables = %v; want [users] (the file before adoption)", got)
	}

	// Told once, with the backup's name; audited once.
	msgs := told.all()
	if len(msgs) != 1 || !strings.Contains(msgs[0], bak) {
		t.Errorf("Notify got %q; want one message naming %s", msgs, bak)
	}
	assertAdoptAudited(t, s, "tester")

	// A second Open of the adopted file changes nothing.
	s.Close()
	var again notes
	s2 := openStore(t, path, db.Options{Notify: again.notify, Now: func() time.Time { return adoptNow.Add(time.Hour) }})
	if got := again.all(); len(got) != 0 {
		t.Errorf("second Open notified %q; want nothing", got)
	}
	if got := backupsOf(t, path); !slices.Equal(got, []string{bak}) {
		t.Errorf("backups after second Open = %v; want only [%s]", got, bak)
	}
	if got := s2.AppliedAtOpen(); len(got) != 0 {
		t.Errorf("second Open AppliedAtOpen() = %v; want none", got)
	}
	assertAdoptAudited(t, s2, "tester")
	users2 := allUsers(t, s2)
	for email, u := range users {
		u2 := users2[email]
		if !u2.CreatedAt.Equal(u.CreatedAt) || !u2.UpdatedAt.Equal(u.UpdatedAt) || !slices.Equal(u2.Roles, u.Roles) {
			t.Errorf("after second Open %s = %+v; want %+v", email, u2, u)
		}
	}
}

func TestOpenAdoptsSQLAlchemyDatabaseWithRoles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cti.db")
	const plain = "correct horse battery staple"
	hash, err := bcrypt.GenerateFromPassword([]byte(plain), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// Python's bcrypt writes $2b$; Go's writes $2a$ for the same algorithm.
	pyHash := "$2b$" + strings.TrimPrefix(string(hash), "$2a$")
	if pyHash == string(hash) {
		t.Fatalf("bcrypt hash %q does not start with $2a$", hash)
	}

	// What Base.metadata.create_all() emitted for the models of the earlier
	// service, and the rows it wrote (datetime.utcnow() with microseconds).
	writeSQLite(t, path,
		`CREATE TABLE roles (
	id INTEGER NOT NULL, 
	name VARCHAR(50) NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (name)
)`,
		`CREATE TABLE users (
	id VARCHAR(36) NOT NULL, 
	email VARCHAR(255) NOT NULL, 
	hashed_password VARCHAR(255) NOT NULL, 
	full_name TEXT, 
	is_active BOOLEAN, 
	created_at DATETIME, 
	updated_at DATETIME, 
	PRIMARY KEY (id)
)`,
		`CREATE UNIQUE INDEX ix_users_email ON users (email)`,
		`CREATE TABLE user_roles (
	user_id VARCHAR(36) NOT NULL, 
	role_id INTEGER NOT NULL, 
	PRIMARY KEY (user_id, role_id), 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	FOREIGN KEY(role_id) REFERENCES roles (id) ON DELETE CASCADE
)`,
		// Ids in another order than ctitui's own seed, so a mix-up shows.
		`INSERT INTO roles (id, name) VALUES (1, 'analyst'), (2, 'admin')`,
		`INSERT INTO users (id, email, hashed_password, full_name, is_active, created_at, updated_at) VALUES
			('0b7e1c52-8d0a-4a57-9a3e-2f7d5c1e0001', 'alice@example.org', '`+pyHash+`', 'Alice Admin', 1, '2024-10-01 12:00:00.123456', NULL),
			('0b7e1c52-8d0a-4a57-9a3e-2f7d5c1e0002', 'bob@example.org', '$2b$04$abcdefghijklmnopqrstuu5sV0f0sYq7b9a8bHhWm5mO3Qe9v2k6O', 'Bob Analyst', 1, '2024-10-02 09:30:15.000001', '2024-11-05 08:30:00.987654'),
			('0b7e1c52-8d0a-4a57-9a3e-2f7d5c1e0003', 'carol@example.org', '$2b$04$abcdefghijklmnopqrstuu5sV0f0sYq7b9a8bHhWm5mO3Qe9v2k6O', NULL, 0, '2024-10-03 18:45:00.500000', '2024-12-24 10:00:00.000000')`,
		`INSERT INTO user_roles (user_id, role_id) VALUES
			('0b7e1c52-8d0a-4a57-9a3e-2f7d5c1e0001', 2),
			('0b7e1c52-8d0a-4a57-9a3e-2f7d5c1e0001', 1),
			('0b7e1c52-8d0a-4a57-9a3e-2f7d5c1e0002', 1)`,
	)

	var told notes
	s := openStore(t, path, db.Options{Notify: told.notify, Now: func() time.Time { return adoptNow }, Actor: "tester"})
	if got, want := s.SchemaVersion(), sqlite.LatestVersion(); got != want {
		t.Errorf("SchemaVersion() = %d; want %d", got, want)
	}

	type want struct {
		created, updated, disabled string
		roles                      []user.Role
	}
	wants := map[string]want{
		"alice@example.org": {"2024-10-01T12:00:00.123Z", "2024-10-01T12:00:00.123Z", "", []user.Role{user.RoleAdmin, user.RoleAnalyst}},
		"bob@example.org":   {"2024-10-02T09:30:15.000Z", "2024-11-05T08:30:00.987Z", "", []user.Role{user.RoleAnalyst}},
		"carol@example.org": {"2024-10-03T18:45:00.500Z", "2024-12-24T10:00:00.000Z", "2024-12-24T10:00:00.000Z", []user.Role{user.RoleAnalyst}},
	}
	users := allUsers(t, s)
	if len(users) != len(wants) {
		t.Errorf("ListUsers = %v; want %d users", emailsOf(users), len(wants))
	}
	for email, w := range wants {
		u, ok := users[email]
		if !ok {
			t.Errorf("ListUsers has no %s", email)
			continue
		}
		if got := user.FormatTime(u.CreatedAt); got != w.created {
			t.Errorf("%s CreatedAt = %s; want %s", email, got, w.created)
		}
		if got := user.FormatTime(u.UpdatedAt); got != w.updated {
			t.Errorf("%s UpdatedAt = %s; want %s", email, got, w.updated)
		}
		if got := user.FormatTime(u.DisabledAt); got != w.disabled {
			t.Errorf("%s DisabledAt = %q; want %q", email, got, w.disabled)
		}
		if !slices.Equal(u.Roles, w.roles) {
			t.Errorf("%s Roles = %v; want %v", email, u.Roles, w.roles)
		}
	}

	// The legacy roles keep their ids; ctitui's missing one is added.
	if got, want := readRows(t, path, `SELECT id || ' ' || name FROM roles ORDER BY id`), []string{"1 analyst", "2 admin", "3 viewer"}; !slices.Equal(got, want) {
		t.Errorf("roles = %q; want %q", got, want)
	}
	// Columns ctitui does not know stay, with their values; so does the
	// service's own index.
	if got, want := readRows(t, path, `SELECT email || '=' || coalesce(full_name, '<NULL>') || ',' || is_active FROM users ORDER BY email`),
		[]string{"alice@example.org=Alice Admin,1", "bob@example.org=Bob Analyst,1", "carol@example.org=<NULL>,0"}; !slices.Equal(got, want) {
		t.Errorf("full_name, is_active = %q; want %q", got, want)
	}
	if got := readRows(t, path, `SELECT name FROM sqlite_schema WHERE type = 'index' AND name = 'ix_users_email'`); len(got) != 1 {
		t.Errorf("index ix_users_email after adoption: %v; want it kept", got)
	}

	// The bcrypt hash is kept as is and verifies; as every stored hash is
	// bcrypt, the database keeps bcrypt and login does not rewrite it
	// (issue 11: the platform must still verify it).
	alice, err := s.UserByEmail(ctx, user.NormalizeEmail("alice@example.org"))
	if err != nil {
		t.Fatalf("UserByEmail(alice) = %v", err)
	}
	if alice.PasswordHash != pyHash {
		t.Errorf("alice's hash after adoption = %q; want the legacy %q", alice.PasswordHash, pyHash)
	}
	svc := user.NewService(s, user.WithHasher(passwordtest.Hasher()), user.WithFailureFloor(0))
	if _, err := svc.Verify(ctx, "Alice@Example.org", plain); err != nil {
		t.Fatalf("Verify(alice, correct password) = %v; want nil", err)
	}
	alice, err = s.UserByEmail(ctx, user.NormalizeEmail("alice@example.org"))
	if err != nil {
		t.Fatalf("UserByEmail(alice) = %v", err)
	}
	if alice.PasswordHash != pyHash {
		t.Errorf("alice's hash after Verify = %q; want the legacy %q kept", alice.PasswordHash, pyHash)
	}
	if alice.LastLoginAt.IsZero() {
		t.Errorf("alice's LastLoginAt after Verify is zero; want the login recorded")
	}
	if _, err := svc.Verify(ctx, "alice@example.org", plain); err != nil {
		t.Errorf("Verify(alice) with the upgraded hash = %v; want nil", err)
	}
	if _, err := svc.Verify(ctx, "carol@example.org", plain); !errors.Is(err, user.ErrInvalidCredentials) {
		t.Errorf("Verify(disabled carol) = %v; want %v", err, user.ErrInvalidCredentials)
	}

	bak := wantBackupName(path)
	if msgs := told.all(); len(msgs) != 1 || !strings.Contains(msgs[0], bak) {
		t.Errorf("Notify got %q; want one message naming %s", msgs, bak)
	}
	assertMode(t, bak, 0o600)
	assertAdoptAudited(t, s, "tester")
}

func TestOpenAdoptsIntegerIDsRoleNamesAndForeignObjects(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cti.db")
	writeSQLite(t, path,
		`CREATE TABLE users (
			id INTEGER PRIMARY KEY AUTOINCREMENT,
			email TEXT NOT NULL UNIQUE,
			hashed_password TEXT NOT NULL,
			created_at TEXT NOT NULL,
			department TEXT NOT NULL DEFAULT 'soc'
		)`,
		`CREATE INDEX ix_users_department ON users (department)`,
		`CREATE TABLE user_roles (
			user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
			role TEXT NOT NULL,
			PRIMARY KEY (user_id, role)
		)`,
		`CREATE TABLE sessions (
			token TEXT PRIMARY KEY,
			user_id INTEGER NOT NULL REFERENCES users (id),
			expires_at TEXT NOT NULL
		)`,
		`CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))`,
		`CREATE TRIGGER users_drop_sessions AFTER DELETE ON users BEGIN DELETE FROM sessions WHERE user_id = OLD.id; END`,
		`INSERT INTO users (email, hashed_password, created_at, department) VALUES
			('dana@example.org', '$pbkdf2-sha256$29000$abc$def', '2024-10-01 12:00:00', 'ir'),
			('erik@example.org', '$pbkdf2-sha256$29000$ghi$jkl', '2024-10-01T14:00:00+02:00', 'soc'),
			('fay@example.org', '$pbkdf2-sha256$29000$mno$pqr', 1727784000, 'soc'),
			('gus@example.org', '$pbkdf2-sha256$29000$stu$vwx', '2024-10-01 12:00', 'red')`,
		`INSERT INTO user_roles (user_id, role) VALUES (1, 'admin'), (1, 'superuser'), (2, 'viewer'), (4, 'superuser')`,
		`INSERT INTO sessions VALUES ('tok-dana', 1, '2025-01-01 00:00:00'), ('tok-erik', 2, '2025-01-01 00:00:00')`,
		`INSERT INTO alembic_version VALUES ('9f92e181eda7')`,
	)
	const foreignSchema = `SELECT name || ': ' || sql FROM sqlite_schema WHERE name IN ('sessions', 'alembic_version', 'ix_users_department') ORDER BY name`
	schemaBefore := readRows(t, path, foreignSchema)
	sessionsBefore := readRows(t, path, `SELECT token || ' ' || user_id || ' ' || expires_at FROM sessions ORDER BY token`)

	// The legacy trigger is code ctitui did not write: adopted only with
	// consent, and then left out (the backup keeps it).
	if _, err := sqlite.Open(ctx, path, db.Options{Now: func() time.Time { return adoptNow }}); !errors.Is(err, db.ErrUnknownSchema) {
		t.Fatalf("Open without consent = %v; want %v", err, db.ErrUnknownSchema)
	}
	s := openStore(t, path, db.Options{Now: func() time.Time { return adoptNow }, DropUnknownObjects: true})
	if got, want := s.SchemaVersion(), sqlite.LatestVersion(); got != want {
		t.Errorf("SchemaVersion() = %d; want %d", got, want)
	}

	wants := map[string]struct {
		id, created string
		roles       []user.Role
	}{
		"dana@example.org": {"1", "2024-10-01T12:00:00.000Z", []user.Role{user.RoleAdmin, "superuser"}},
		"erik@example.org": {"2", "2024-10-01T12:00:00.000Z", []user.Role{user.RoleViewer}},
		"fay@example.org":  {"3", "2024-10-01T12:00:00.000Z", []user.Role{user.RoleAnalyst}},
		"gus@example.org":  {"4", "2024-10-01T12:00:00.000Z", []user.Role{"superuser"}},
	}
	users := allUsers(t, s)
	if len(users) != len(wants) {
		t.Errorf("ListUsers = %v; want %d users", emailsOf(users), len(wants))
	}
	for email, w := range wants {
		u, ok := users[email]
		if !ok {
			t.Errorf("ListUsers has no %s", email)
			continue
		}
		if u.ID != w.id {
			t.Errorf("%s ID = %q; want %q", email, u.ID, w.id)
		}
		if got := user.FormatTime(u.CreatedAt); got != w.created {
			t.Errorf("%s CreatedAt = %s; want %s", email, got, w.created)
		}
		if !u.UpdatedAt.Equal(u.CreatedAt) {
			t.Errorf("%s UpdatedAt = %v; want CreatedAt %v", email, u.UpdatedAt, u.CreatedAt)
		}
		if !slices.Equal(u.Roles, w.roles) {
			t.Errorf("%s Roles = %v; want %v (legacy role names kept, analyst only for users without roles)", email, u.Roles, w.roles)
		}
	}
	for _, c := range []struct {
		role user.Role
		want int
	}{{"superuser", 2}, {user.RoleAdmin, 1}, {user.RoleAnalyst, 1}} {
		if got, err := s.CountUsers(ctx, user.Filter{Role: c.role}); err != nil || got != c.want {
			t.Errorf("CountUsers(role %s) = %d, %v; want %d", c.role, got, err, c.want)
		}
	}

	// Tables and indexes ctitui does not own stay as they were; the trigger
	// is gone from the file and kept in the backup.
	if got := readRows(t, path, foreignSchema); !slices.Equal(got, schemaBefore) {
		t.Errorf("schema of the file's own objects after adoption:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(schemaBefore, "\n  "))
	}
	if got := readRows(t, path, `SELECT token || ' ' || user_id || ' ' || expires_at FROM sessions ORDER BY token`); !slices.Equal(got, sessionsBefore) {
		t.Errorf("sessions = %q; want %q", got, sessionsBefore)
	}
	if got, want := readRows(t, path, `SELECT version_num FROM alembic_version`), []string{"9f92e181eda7"}; !slices.Equal(got, want) {
		t.Errorf("alembic_version = %q; want %q", got, want)
	}
	if got, want := readRows(t, path, `SELECT department FROM users ORDER BY email`), []string{"ir", "soc", "soc", "red"}; !slices.Equal(got, want) {
		t.Errorf("department = %q; want %q", got, want)
	}
	// The column kept its default, so ctitui can still insert users.
	if got, want := readRows(t, path, `SELECT dflt_value || ' notnull=' || "notnull" FROM pragma_table_info('users') WHERE name = 'department'`), []string{"'soc' notnull=1"}; !slices.Equal(got, want) {
		t.Errorf("users.department default = %q; want %q", got, want)
	}
	if got := readRows(t, path, `PRAGMA foreign_key_check`); len(got) != 0 {
		t.Errorf("foreign_key_check = %q; want no violations", got)
	}

	if got := readRows(t, path, `SELECT name FROM sqlite_schema WHERE name = 'users_drop_sessions'`); len(got) != 0 {
		t.Errorf("legacy trigger kept after adoption: %q", got)
	}
	if got := readRows(t, wantBackupName(path), `SELECT name FROM sqlite_schema WHERE name = 'users_drop_sessions'`); len(got) != 1 {
		t.Errorf("backup lost the legacy trigger: %q", got)
	}
	s.Close()
	raw := openRawSQLite(t, path, false)
	// Without the legacy trigger, the sessions' own foreign key guards them.
	if _, err := raw.Exec(`DELETE FROM sessions WHERE user_id = 2`); err != nil {
		t.Fatalf("delete erik's session: %v", err)
	}
	if _, err := raw.Exec(`DELETE FROM users WHERE email = 'erik@example.org'`); err != nil {
		t.Fatalf("delete erik: %v", err)
	}
	if got := queryInt(t, raw, `SELECT count(*) FROM user_roles WHERE user_id = '2'`); got != 0 {
		t.Errorf("erik's user_roles after delete = %d; want 0 (ON DELETE CASCADE)", got)
	}
}

func TestOpenAdoptsLegacyDatabaseWhoseOtherObjectsNameUsers(t *testing.T) {
	// Views and triggers of the file's other tables that read users are
	// code ctitui did not write: with consent they are left out, and the
	// rebuild of users does not trip over them meanwhile.
	tests := []struct {
		name, object string
	}{
		{"view over users", `CREATE VIEW session_users AS SELECT s.token, u.email FROM sessions s JOIN users u ON u.id = s.user_id`},
		{"trigger of another table reading users", `CREATE TRIGGER sessions_need_user BEFORE INSERT ON sessions
				BEGIN SELECT RAISE(ABORT, 'no such user') WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.user_id); END`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "cti.db")
			writeSQLite(t, path,
				`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, hashed_password TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`,
				`CREATE TABLE sessions (token TEXT PRIMARY KEY, user_id TEXT NOT NULL)`,
				`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00')`,
				`INSERT INTO sessions VALUES ('tok-ana', 'u1')`,
				tt.object,
			)
			s, err := sqlite.Open(context.Background(), path, db.Options{Now: func() time.Time { return adoptNow }, DropUnknownObjects: true})
			if err != nil {
				t.Fatalf("Open = %v; want the file adopted without its %s", err, tt.name)
			}
			defer s.Close()
			if got := readRows(t, path, `SELECT name FROM sqlite_schema WHERE name IN ('session_users', 'sessions_need_user')`); len(got) != 0 {
				t.Errorf("after adoption the file still has %q", got)
			}
			if got, want := readRows(t, path, `SELECT token FROM sessions`), []string{"tok-ana"}; !slices.Equal(got, want) {
				t.Errorf("sessions after adoption = %q; want %q", got, want)
			}
			if got, want := s.SchemaVersion(), sqlite.LatestVersion(); got != want {
				t.Errorf("SchemaVersion() = %d; want %d", got, want)
			}
		})
	}
}

// gooseTableSQL is goose's version table as its SQLite dialect creates it,
// which the goose CLI does at its first look at a file ("goose ... status",
// as the README suggests), writing the row of version 0 with it.
const gooseTableSQL = `CREATE TABLE goose_db_version (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	version_id INTEGER NOT NULL,
	is_applied INTEGER NOT NULL,
	tstamp TIMESTAMP DEFAULT (datetime('now'))
)`

// TestOpenAdoptsLegacyDatabaseGooseLookedAt: a legacy file on which the
// goose CLI made its version table, recording nothing but version 0 (or
// nothing at all), is still a file made before migrations: adopted, with
// goose's table made again so that the versions recorded are the
// baseline's and then each migration's, once.
func TestOpenAdoptsLegacyDatabaseGooseLookedAt(t *testing.T) {
	for _, tt := range []struct {
		name  string
		rows  []string
		saved []string // goose's rows the backup keeps
	}{
		{"version 0 recorded", []string{`INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1)`}, []string{"0"}},
		{"nothing recorded", nil, nil},
		{"version 0 recorded twice", []string{`INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (0, 1)`}, []string{"0", "0"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "cti.db")
			writeSQLite(t, path, append([]string{
				`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, hashed_password TEXT NOT NULL,
					created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, is_active BOOLEAN NOT NULL DEFAULT 1)`,
				`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h1', '2024-10-01 12:00:00', 1), ('u2', 'ben@example.org', 'h2', '2024-10-01 12:00:00', 0)`,
				gooseTableSQL}, tt.rows...)...)
			var told notes
			s := openStore(t, path, db.Options{Notify: told.notify, Now: func() time.Time { return adoptNow }})
			if got, want := s.SchemaVersion(), sqlite.LatestVersion(); got != want {
				t.Errorf("SchemaVersion() = %d; want %d", got, want)
			}
			if got, want := gooseVersions(t, path), versionStrings(0, sqlite.LatestVersion()); !slices.Equal(got, want) {
				t.Errorf("goose_db_version = %v; want %v", got, want)
			}
			users := allUsers(t, s)
			if u, ok := users["ana@example.org"]; !ok || u.Disabled() {
				t.Errorf("ana@example.org after adoption: found %v, disabled %v; want found and active", ok, u.Disabled())
			}
			if u, ok := users["ben@example.org"]; !ok || !u.Disabled() {
				t.Errorf("ben@example.org after adoption: found %v, disabled %v; want found and disabled", ok, u.Disabled())
			}
			if msgs := told.all(); len(msgs) != 1 || !strings.Contains(msgs[0], "adopted a database made before migrations") {
				t.Errorf("Notify got %q; want the adoption report", msgs)
			}
			assertAdoptAudited(t, s, "")
			bak := wantBackupName(path)
			if got := readRows(t, bak, `SELECT version_id FROM goose_db_version ORDER BY id`); !slices.Equal(got, tt.saved) {
				t.Errorf("backup's goose_db_version = %q; want the file's own %q", got, tt.saved)
			}
		})
	}
}

func TestOpenRefusesLegacyDatabaseItCannotAdopt(t *testing.T) {
	const minimal = `CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, hashed_password TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`
	tests := []struct {
		name  string
		stmts []string
		want  []string // in the error message
	}{
		{
			name: "no email column",
			stmts: []string{
				`CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TIMESTAMP)`,
				`INSERT INTO users VALUES ('u1', 'ana', 'h', '2024-10-01 12:00:00')`,
			},
			want: []string{"email"},
		},
		{
			name: "emails equal after Unicode case folding",
			stmts: []string{
				minimal,
				`INSERT INTO users VALUES ('u1', 'Élodie@x.org', 'h1', '2024-10-01 12:00:00'), ('u2', 'élodie@x.org', 'h2', '2024-10-01 12:00:00')`,
			},
			want: []string{"Élodie@x.org", "élodie@x.org"},
		},
		{
			name: "user_roles row of a missing user",
			stmts: []string{
				minimal,
				`CREATE TABLE user_roles (user_id TEXT NOT NULL, role TEXT NOT NULL)`,
				`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00')`,
				`INSERT INTO user_roles VALUES ('u1', 'admin'), ('ghost', 'admin')`,
			},
			want: []string{"user_roles", "users that do not exist"},
		},
		{
			name: "user_roles row of a missing role",
			stmts: []string{
				minimal,
				`CREATE TABLE roles (id INTEGER PRIMARY KEY, name VARCHAR(50) UNIQUE)`,
				`CREATE TABLE user_roles (user_id TEXT NOT NULL, role_id INTEGER NOT NULL)`,
				`INSERT INTO roles VALUES (1, 'admin')`,
				`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00')`,
				`INSERT INTO user_roles VALUES ('u1', 7)`,
			},
			want: []string{"user_roles", "roles that do not exist"},
		},
		{
			name: "unparseable created_at",
			stmts: []string{
				minimal,
				`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00'), ('u2', 'ben@example.org', 'h', 'not a date')`,
			},
			want: []string{"ben@example.org", "created_at", "not a date"},
		},
		{
			name: "NULL hashed_password",
			stmts: []string{
				`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT, created_at TIMESTAMP)`,
				`INSERT INTO users VALUES ('u1', 'ana@example.org', NULL, '2024-10-01 12:00:00')`,
			},
			want: []string{"ana@example.org", "hashed_password"},
		},
		{
			name: "goose's table at version 0 and an is_active that is no flag",
			stmts: []string{
				`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT, is_active TEXT)`,
				`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00', 'inactive')`,
				gooseTableSQL,
				`INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1)`,
			},
			want: []string{`user "u1" has is_active "inactive"`},
		},
		{
			name: "goose's empty table and a table ctitui creates",
			stmts: []string{
				minimal,
				`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00')`,
				`CREATE TABLE settings (k TEXT, v TEXT)`,
				gooseTableSQL,
			},
			want: []string{"settings", "rename it"},
		},
		{
			name: "audit_log table already there",
			stmts: []string{
				minimal,
				`CREATE TABLE audit_log (id INTEGER PRIMARY KEY, event TEXT)`,
				`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00')`,
				`INSERT INTO audit_log (event) VALUES ('login')`,
			},
			want: []string{"audit_log"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "cti.db")
			writeSQLite(t, path, tt.stmts...)
			before := fileSHA256(t, path)
			var told notes

			s, err := sqlite.Open(context.Background(), path, db.Options{Notify: told.notify, Now: func() time.Time { return adoptNow }})
			if err == nil {
				s.Close()
				t.Fatalf("Open = nil error; want %v", db.ErrCannotAdopt)
			}
			if !errors.Is(err, db.ErrCannotAdopt) {
				t.Errorf("Open = %v; want %v", err, db.ErrCannotAdopt)
			}
			// Without the path: the temp directory is named after the test.
			msg := strings.ReplaceAll(err.Error(), path, "<path>")
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Open error %q does not contain %q", msg, w)
				}
			}
			if after := fileSHA256(t, path); after != before {
				t.Errorf("file sha256 after refusal = %s; want %s (unchanged)", after, before)
			}
			if got := bakFilesIn(t, dir); len(got) != 0 {
				t.Errorf("backups left after refusal: %v; want none (validation comes before the backup)", got)
			}
			if got := told.all(); len(got) != 0 {
				t.Errorf("Notify got %q after refusal; want nothing", got)
			}
			for _, suffix := range []string{"-wal", "-shm", "-journal", ".adopting"} {
				if _, err := os.Lstat(path + suffix); err == nil {
					t.Errorf("%s left beside the refused file", filepath.Base(path+suffix))
				}
			}
		})
	}
}

func TestOpenConcurrentAdoptionHappensOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cti.db")
	const nUsers = 40
	stmts := []string{`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, hashed_password TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`}
	for i := range nUsers {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO users VALUES ('id-%02d', 'user%02d@example.org', 'h', '2024-10-01 12:00:%02d')`, i, i, i))
	}
	writeSQLite(t, path, stmts...)

	const openers = 6
	var (
		notified atomic.Int32
		start    = make(chan struct{})
		wg       sync.WaitGroup
		stores   = make([]*sqlite.Store, openers)
		errs     = make([]error, openers)
	)
	for i := range openers {
		wg.Go(func() {
			<-start
			// The real clock: two adoptions would leave two backups (or
			// fail on the second's name), never hide one behind the other.
			stores[i], errs[i] = sqlite.Open(ctx, path, db.Options{Notify: func(string) { notified.Add(1) }})
		})
	}
	close(start)
	wg.Wait()
	for i, s := range stores {
		if s != nil {
			t.Cleanup(func() { s.Close() })
		}
		if errs[i] != nil {
			t.Errorf("Open #%d = %v; want nil", i, errs[i])
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	if got := backupsOf(t, path); len(got) != 1 {
		t.Errorf("backups = %v; want exactly one", got)
	}
	if got := notified.Load(); got != 1 {
		t.Errorf("Notify called %d times; want 1", got)
	}
	for i, s := range stores {
		if n, err := s.CountUsers(ctx, user.Filter{}); err != nil || n != nUsers {
			t.Errorf("Open #%d CountUsers = %d, %v; want %d", i, n, err, nUsers)
		}
		if got, want := s.SchemaVersion(), sqlite.LatestVersion(); got != want {
			t.Errorf("Open #%d SchemaVersion() = %d; want %d", i, got, want)
		}
	}
	if got := len(allUsers(t, stores[0])); got != nUsers {
		t.Errorf("ListUsers returned %d users; want %d", got, nUsers)
	}
	var adopts int
	for _, e := range auditEntries(t, stores[0]) {
		if e.Action == user.ActionAdopt {
			adopts++
		}
	}
	if adopts != 1 {
		t.Errorf("%d %q audit entries; want 1", adopts, user.ActionAdopt)
	}
	if got, want := gooseVersions(t, path), versionStrings(0, sqlite.LatestVersion()); !slices.Equal(got, want) {
		t.Errorf("goose_db_version = %v; want %v (each version once)", got, want)
	}
}

// assertAdoptAudited checks that s has exactly one adoption audit entry, by actor.
func assertAdoptAudited(t *testing.T, s *sqlite.Store, actor string) {
	t.Helper()
	var found []user.AuditEntry
	for _, e := range auditEntries(t, s) {
		if e.Action == user.ActionAdopt {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%q audit entries = %+v; want exactly one", user.ActionAdopt, found)
	}
	if e := found[0]; e.Actor != actor || !e.At.Equal(adoptNow) || !strings.Contains(e.Details, "backup") {
		t.Errorf("adoption audit entry = %+v; want actor %q at %v with details naming the backup", e, actor, adoptNow)
	}
}

// emailsOf lists the emails of users, for failure messages.
func emailsOf(users map[string]user.User) []string {
	out := make([]string, 0, len(users))
	for k := range users {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// UNIQUE constraints on columns of the legacy tables that ctitui does not
// know live in automatic indexes with no SQL to copy; adoption recreates them
// as named unique indexes, so the rule still holds after the rebuild.
func TestOpenKeepsUniqueConstraintsOfExtraColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "legacy.db")
	writeSQLite(t, path,
		`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, hashed_password TEXT NOT NULL,
			username TEXT UNIQUE, team TEXT, badge INTEGER, created_at TEXT NOT NULL, UNIQUE (team, badge))`,
		`INSERT INTO users VALUES ('u1', 'a@x.org', '$2b$04$abcdefghijklmnopqrstuu', 'ann', 'red', 1, '2024-01-01 00:00:00')`,
		`INSERT INTO users VALUES ('u2', 'b@x.org', '$2b$04$abcdefghijklmnopqrstuu', 'bob', 'red', 2, '2024-01-01 00:00:00')`,
	)
	openStore(t, path, db.Options{}).Close()

	raw := openRawSQLite(t, path, false)
	for _, stmt := range []string{
		`UPDATE users SET username = 'ann' WHERE id = 'u2'`,
		`UPDATE users SET badge = 1 WHERE id = 'u2'`,
	} {
		if _, err := raw.Exec(stmt); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
			t.Errorf("%s after adoption: err = %v; want a UNIQUE constraint failure", stmt, err)
		}
	}
	if _, err := raw.Exec(`UPDATE users SET username = 'carol', badge = 3 WHERE id = 'u2'`); err != nil {
		t.Errorf("a change that keeps the constraints: %v", err)
	}
}

// versionsBetween lists the schema versions from..to (0 is goose's own first row).
func versionsBetween(from, to int64) []int64 {
	// The embedded migrations, not every number in between: versions are
	// written on separate branches and one may land before another.
	var vs []int64
	if from <= 0 {
		vs = append(vs, 0) // goose's own first row
	}
	for _, v := range sqlite.MigrationVersions() {
		if from <= v && v <= to {
			vs = append(vs, v)
		}
	}
	return vs
}

// versionStrings lists from..to as goose_db_version's rows read back.
func versionStrings(from, to int64) []string {
	var vs []string
	for _, v := range versionsBetween(from, to) {
		vs = append(vs, strconv.FormatInt(v, 10))
	}
	return vs
}

// A declared type is arbitrary quoted text that SQLite hands back unquoted;
// adoption must not paste it into SQL. The column keeps its values and its
// affinity, and nothing else in the file is touched.
func TestOpenAdoptionIsNotInjectedThroughColumnTypes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "legacy.db")
	writeSQLite(t, path,
		`CREATE TABLE victim (x TEXT)`,
		`INSERT INTO victim VALUES ('still here')`,
		`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL,
			nickname "x); DROP TABLE victim; /*", badge "INT x); DROP TABLE victim; --")`,
		`INSERT INTO users VALUES ('u1', 'a@x.org', '$2b$04$abcdefghijklmnopqrstuu', '2024-01-01 00:00:00', 'ann', 7)`,
	)
	openStore(t, path, db.Options{}).Close()
	raw := openRawSQLite(t, path, true)
	if got := queryStrings(t, raw, `SELECT x FROM victim`); !slices.Equal(got, []string{"still here"}) {
		t.Errorf("victim table = %q; want it untouched", got)
	}
	if got := queryStrings(t, raw, `SELECT nickname || '/' || typeof(badge) FROM users`); !slices.Equal(got, []string{"ann/integer"}) {
		t.Errorf("kept columns = %q; want ann/integer", got)
	}
}

// TestOpenAdoptionKeepsOrNamesColumnRules: the legacy columns adoption
// keeps keep their type, constant default, built-in COLLATE and REFERENCES
// to a table not ctitui's; rules it does not keep (on the columns ctitui
// defines, any CHECK or generation rule, a NOT NULL without a default) are
// named in the report, never dropped silently.
func TestOpenAdoptionKeepsOrNamesColumnRules(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "legacy.db")
	writeSQLite(t, path,
		`CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT)`,
		`INSERT INTO teams VALUES (1, 'red')`,
		`CREATE TABLE users (
			id TEXT PRIMARY KEY,
			email TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(email) > 3),
			hashed_password TEXT NOT NULL,
			created_at TEXT NOT NULL,
			is_active BOOLEAN NOT NULL DEFAULT 1,
			nickname TEXT COLLATE NOCASE,
			domain TEXT GENERATED ALWAYS AS (substr(email, instr(email, '@') + 1)) VIRTUAL,
			score INTEGER CHECK (score BETWEEN 0 AND 100),
			team_id INTEGER REFERENCES teams (id),
			legacy_flag TEXT NOT NULL,
			CONSTRAINT ck_active CHECK (is_active IN (0, 1)),
			CHECK (hashed_password <> '')
		)`,
		`INSERT INTO users (id, email, hashed_password, created_at, nickname, score, team_id, legacy_flag)
			VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00', 'Ann', 50, 1, 'x')`,
	)
	var told notes
	s := openStore(t, path, db.Options{Notify: told.notify, Now: func() time.Time { return adoptNow }})
	report := strings.Join(told.all(), "\n")
	for _, want := range []string{"users.email COLLATE NOCASE", "users.email CHECK (length(email) > 3)",
		"users.legacy_flag NOT NULL", "users CHECK (hashed_password <> '')", "users.domain GENERATED ALWAYS AS",
		"users.score CHECK (score BETWEEN 0 AND 100)", "users CONSTRAINT ck_active CHECK (is_active IN (0, 1))",
		"users.team_id REFERENCES teams (id) (a foreign key makes SQLite look up its parent table", "did not keep"} {
		if !strings.Contains(report, want) {
			t.Errorf("adoption report %q does not name %q", report, want)
		}
	}
	raw := openRawSQLite(t, path, false)
	// A generation rule that reads ctitui's columns is not kept (it could
	// refuse ctitui's writes); its values are, in a plain column.
	if got := queryStrings(t, raw, `SELECT domain FROM users WHERE nickname = 'ANN'`); !slices.Equal(got, []string{"example.org"}) {
		t.Errorf("domain of the nickname 'ANN' (COLLATE NOCASE) = %q; want example.org", got)
	}
	if got := queryStrings(t, raw, `SELECT hidden FROM pragma_table_xinfo('users') WHERE name = 'domain'`); !slices.Equal(got, []string{"0"}) {
		t.Errorf("users.domain hidden = %q; want 0 (a plain column now)", got)
	}
	// A foreign key is not kept (a missing parent would refuse every write
	// to users); its values are.
	if got := queryStrings(t, raw, `SELECT "table" FROM pragma_foreign_key_list('users') WHERE "from" = 'team_id'`); len(got) != 0 {
		t.Errorf("users.team_id references %q; want no foreign key", got)
	}
	if got := queryStrings(t, raw, `SELECT team_id FROM users`); !slices.Equal(got, []string{"1"}) {
		t.Errorf("users.team_id = %q; want the value kept", got)
	}
	if got := queryStrings(t, raw, `SELECT sql FROM sqlite_schema WHERE name = 'users' AND sql LIKE '%CHECK%'`); len(got) != 0 {
		t.Errorf("users after adoption keeps a CHECK: %q", got)
	}
	// ctitui adds users although legacy_flag has no default.
	svc := user.NewService(s, user.WithHasher(passwordtest.Hasher()))
	if _, err := svc.Register(ctx, "bo@example.org", "correct horse battery staple", nil); err != nil {
		t.Errorf("Register after adoption: %v", err)
	}
}

// TestOpenAdoptionKeepsNoRuleThatReadsCtituisColumns: a generated column
// that reads a column ctitui writes, with a CHECK on it, would refuse
// ctitui's writes (here a new password for alice). Adoption keeps the
// column's values, not its generation rule, and the CHECK then refuses
// nothing.
func TestOpenAdoptionKeepsNoRuleThatReadsCtituisColumns(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "legacy.db")
	writeSQLite(t, path,
		`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL,
			note TEXT GENERATED ALWAYS AS (CASE WHEN email = 'alice@example.org' THEN hashed_password END) VIRTUAL CHECK (note IS NULL OR note = 'h'))`,
		`INSERT INTO users (id, email, hashed_password, created_at) VALUES ('u1', 'alice@example.org', 'h', '2024-10-01 12:00:00')`,
	)
	var told notes
	s := openStore(t, path, db.Options{Notify: told.notify})
	if msg := strings.Join(told.all(), "\n"); !strings.Contains(msg, "users.note GENERATED") || !strings.Contains(msg, "runs with ctitui's writes") {
		t.Errorf("adoption report %q does not name the generation rule it left out", msg)
	}
	svc := user.NewService(s, user.WithHasher(passwordtest.Hasher()))
	if _, err := svc.SetPassword(ctx, "alice@example.org", "correct horse battery staple"); err != nil {
		t.Errorf("SetPassword after adoption: %v; want the password changed", err)
	}
	if got := readRows(t, path, `SELECT note FROM users`); !slices.Equal(got, []string{"h"}) {
		t.Errorf("note = %q; want its value kept", got)
	}
}

// TestOpenAdoptionNamesCostlyHashes: a legacy hash beyond the cost limits
// is adopted (ctitui never computes it), and the adoption says that those
// users cannot log in until a new password is set.
func TestOpenAdoptionNamesCostlyHashes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "legacy.db")
	writeSQLite(t, path,
		`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL)`,
		`INSERT INTO users VALUES ('u1', 'ana@example.org', '$2b$15$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', '2024-10-01 12:00:00'),
			('u2', 'bo@example.org', '$2b$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', '2024-10-01 12:00:00')`,
	)
	var told notes
	openStore(t, path, db.Options{Notify: told.notify})
	if msg := strings.Join(told.all(), "\n"); !strings.Contains(msg, "1 user has password hashes beyond ctitui's cost limits") {
		t.Errorf("adoption report %q does not say that one user's hash is beyond the limits", msg)
	}
}
