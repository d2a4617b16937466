package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// skVersion8 makes a database at schema version 8, before email_skeleton,
// holding users with the email_normalized the ctitui of then computed
// (NFC and case folding, no IDNA).
func skVersion8(t *testing.T, path string, emails map[string]string) {
	t.Helper()
	p, sqldb := newGooseProvider(t, path)
	if _, err := p.UpTo(context.Background(), 8); err != nil {
		t.Fatalf("UpTo(8) = %v", err)
	}
	i := 0
	for _, id := range sortedIDs(emails) {
		i++
		email := emails[id]
		old := strings.ToLower(email) // what NFC + fold made of these ASCII and Cyrillic addresses
		if _, err := sqldb.Exec(`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at) VALUES (?, ?, ?, '!', ?, ?)`,
			id, email, old, fmt.Sprintf("2025-01-01T00:00:%02d.000Z", i), fmt.Sprintf("2025-01-01T00:00:%02d.000Z", i)); err != nil {
			t.Fatal(err)
		}
	}
}

func sortedIDs(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

// Opening a database from before the look-alike check records every user's
// skeleton and recomputes the normalised emails that IDNA now maps, once, in
// one transaction, audited; a user whose new form is another user's keeps
// its old one and the person is told.
func TestOpenRecordsEmailKeysOnUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ctitui.db")
	skVersion8(t, path, map[string]string{
		"u1": "admin@XN--E1AFMKFD.xn--p1ai", // punycode: now пример.рф
		"u2": "bob@ｅxample.org",             // fullwidth e: now example.org
		"u3": "carol@example.org",           // unchanged
		"u4": "dave@xn--e1afmkfd.xn--p1ai",  // now dave@пример.рф, which u5 holds
		"u5": "dave@пример.рф",              // unchanged
		"u6": "paypal@x.org",                // u6 and u7 look alike, and stay
		"u7": "\u0440\u0430\u0443\u0440\u0430\u04cf@x.org",
	})
	var notes []string
	s := openStore(t, path, db.Options{Notify: func(m string) { notes = append(notes, m) }, Actor: "tester"})
	raw := openRawSQLite(t, path, true)
	for id, want := range map[string]string{
		"u1": "admin@пример.рф", "u2": "bob@example.org", "u3": "carol@example.org",
		"u4": "dave@xn--e1afmkfd.xn--p1ai", "u5": "dave@пример.рф", "u6": "paypal@x.org",
	} {
		var got string
		if err := raw.QueryRow(`SELECT email_normalized FROM users WHERE id = ?`, id).Scan(&got); err != nil || got != want {
			t.Errorf("user %s: email_normalized = %q, %v; want %q", id, got, err, want)
		}
	}
	rows, err := raw.Query(`SELECT id, email, email_skeleton FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close() // for t.Fatal; closed below before the next query
	for rows.Next() {
		var id, email string
		var sk sql.NullString
		if err := rows.Scan(&id, &email, &sk); err != nil {
			t.Fatal(err)
		}
		if want := user.EmailSkeleton(email); !sk.Valid || sk.String != want {
			t.Errorf("user %s (%q): email_skeleton = %v; want %q", id, email, sk, want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	// The index, dropped while the skeletons were written, is back as the
	// migration made it.
	if got := queryStrings(t, raw, `SELECT sql FROM sqlite_schema WHERE name = 'users_email_skeleton_idx'`); len(got) != 1 || got[0] != "CREATE INDEX users_email_skeleton_idx ON users (email_skeleton)" {
		t.Errorf("users_email_skeleton_idx = %q; want the migration's", got)
	}
	if len(notes) == 0 || !strings.Contains(strings.Join(notes, "\n"), `user u4:`) {
		t.Errorf("notes %q; want one about u4, whose new form is u5's", notes)
	}
	svc := newService(s)
	for email, id := range map[string]string{"admin@пример.рф": "u1", "admin@xn--e1afmkfd.xn--p1ai": "u1", "bob@example.org": "u2", "BOB@ｅxample.org": "u2"} {
		if u, err := svc.Get(ctx, email); err != nil || u.ID != id {
			t.Errorf("Get(%q) = %s, %v; want user %s", email, u.ID, err, id)
		}
	}
	var details []string
	if err := svc.Audit(ctx, user.AuditFilter{}, func(e user.AuditEntry) error {
		if e.Action == user.ActionRepair {
			details = append(details, e.Details)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(details) != 1 || !strings.Contains(details[0], "recomputed the normalised email of 2 users") || !strings.Contains(details[0], "1 user kept their old one") {
		t.Errorf("repair audit entries %q; want one counting 2 recomputed and 1 kept", details)
	}
	// The look-alikes that were there stay, for a person to resolve; no
	// new one gets in.
	if _, err := svc.Register(ctx, "paypa1@x.org", bkPassword, nil); !errors.Is(err, user.ErrLookAlike) {
		t.Errorf("Register(paypa1@x.org) = %v; want ErrLookAlike", err)
	}
	s.Close()

	// Once is once: the next open changes nothing and says nothing.
	notes = nil
	before := docContent(t, path)
	s = openStore(t, path, db.Options{Notify: func(m string) { notes = append(notes, m) }})
	s.Close()
	if after := docContent(t, path); after != before || len(notes) > 0 {
		t.Errorf("a second open changed the file or said %q", notes)
	}
}

// Two users whose new normalised forms move past each other both get theirs:
// the step retries a user whose new form is still taken by one yet to move.
func TestOpenRenormalizesPastEachOther(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	p, sqldb := newGooseProvider(t, path)
	if _, err := p.UpTo(context.Background(), 8); err != nil {
		t.Fatal(err)
	}
	// u1's new form is u2's old one; u2 moves away to its own new one.
	for _, stmt := range []string{
		`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at) VALUES ('u1', 'a@xn--e1afmkfd.xn--p1ai', 'a@xn--e1afmkfd.xn--p1ai', '!', '2025-01-01T00:00:01.000Z', '2025-01-01T00:00:01.000Z')`,
		`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at) VALUES ('u2', 'a@пример.ｒｆ', 'a@пример.рф', '!', '2025-01-01T00:00:02.000Z', '2025-01-01T00:00:02.000Z')`,
	} {
		if _, err := sqldb.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	var notes []string
	openStore(t, path, db.Options{Notify: func(m string) { notes = append(notes, m) }}).Close()
	raw := openRawSQLite(t, path, true)
	got := queryStrings(t, raw, `SELECT id || ' ' || email_normalized FROM users ORDER BY id`)
	if want := []string{"u1 a@пример.рф", "u2 a@пример.rf"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("normalised emails %q; want %q", got, want)
	}
	if strings.Contains(strings.Join(notes, "\n"), "same address") {
		t.Errorf("notes %q; want none about a collision: nobody collided", notes)
	}
}

func TestDoctorReportsLookAlikes(t *testing.T) {
	ctx := context.Background()
	path := docDB(t) // ana (admin), bo, cy
	writeSQLite(t, path,
		// Another tool adds a Cyrillic twin of ana, without a skeleton.
		`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
			VALUES ('twin-ana', 'аna@example.org', 'аna@example.org', '!', '2025-02-01T00:00:00.000Z', '2025-02-01T00:00:00.000Z')`,
		// ... a twin of bo with its right skeleton ...
		fmt.Sprintf(`INSERT INTO users (id, email, email_normalized, email_skeleton, hashed_password, created_at, updated_at)
			VALUES ('twin-bo', 'b0@example.org', 'b0@example.org', '%s', '!', '2025-02-01T00:00:01.000Z', '2025-02-01T00:00:01.000Z')`, user.EmailSkeleton("b0@example.org")),
		// ... and gives cy a wrong one.
		`UPDATE users SET email_skeleton = 'nothing like cy' WHERE email = 'cy@example.org'`,
	)
	s := openStore(t, path, db.Options{})
	rep, err := s.Doctor(ctx, docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	found, all := docFindings(rep, "look-alikes")
	var pairs, wrong, missing *user.Finding
	for i := range found {
		switch f := &found[i]; {
		case strings.Contains(f.Message, "mistake for each other"):
			pairs = f
		case strings.Contains(f.Message, "does not match"):
			wrong = f
		case strings.Contains(f.Message, "no look-alike skeleton recorded"):
			missing = f
		}
	}
	if pairs == nil || pairs.Severity != user.SeverityProblem || pairs.Repair != "" {
		t.Fatalf("look-alike pairs: %+v; want a problem with no automatic repair:%s", pairs, all)
	}
	for _, want := range []string{`2 groups`, `"ana@example.org"`, `"аna@example.org" (id twin-ana; differs in U+0430 (Cyrillic)`, `"bo@example.org"`, `"b0@example.org" (id twin-bo`, "Rename or delete"} {
		if !strings.Contains(pairs.Message, want) {
			t.Errorf("look-alike message %q; want it to hold %q", pairs.Message, want)
		}
	}
	if wrong == nil || wrong.Severity != user.SeverityProblem || !strings.Contains(wrong.Repair, "recompute the look-alike skeleton of 1 user") || strings.Contains(wrong.Repair, "1 users") {
		t.Errorf("wrong skeleton: %+v; want a problem with a repair:%s", wrong, all)
	}
	if missing == nil || missing.Severity != user.SeverityInfo || missing.Repair == "" {
		t.Errorf("missing skeleton: %+v; want info with a repair:%s", missing, all)
	}
	if rep.Healthy() {
		t.Errorf("a database with look-alikes is healthy:%s", all)
	}

	users := func() string {
		return strings.Join(queryStrings(t, openRawSQLite(t, path, true), `SELECT id || ' ' || email || ' ' || email_normalized FROM users ORDER BY id`), "\n")
	}
	before := users()
	rep, err = s.Doctor(ctx, docOptions(true))
	if err != nil {
		t.Fatal(err)
	}
	if after := users(); after != before {
		t.Errorf("doctor --fix changed users:\n%s\nwant\n%s", after, before)
	}
	raw := openRawSQLite(t, path, true)
	if got := queryStrings(t, raw, `SELECT id FROM users WHERE email_skeleton IS NULL OR email_skeleton = 'nothing like cy'`); len(got) > 0 {
		t.Errorf("after --fix, users %q still have no or a wrong skeleton", got)
	}
	found, all = docFindings(rep, "look-alikes")
	if len(found) != 1 || found[0].Severity != user.SeverityProblem || !strings.Contains(found[0].Message, "2 groups") {
		t.Errorf("after --fix: %+v; want only the look-alike pairs, still a problem:%s", found, all)
	}
	// Resolving it is deleting (or renaming) one of each pair.
	svc := newService(s)
	for _, id := range []string{"twin-ana", "twin-bo"} {
		if _, err := svc.Delete(ctx, id); err != nil {
			t.Fatalf("Delete(%s): %v", id, err)
		}
	}
	rep, err = s.Doctor(ctx, docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	if found, all := docFindings(rep, "look-alikes"); len(found) != 1 || found[0].Severity != user.SeverityOK {
		t.Errorf("after deleting the twins: %+v; want ok:%s", found, all)
	}
}

// An adopted legacy database gets its skeletons and IDNA-normalised emails
// like any upgraded one; its look-alikes stay, for doctor to report.
func TestAdoptionRecordsEmailKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "legacy.db")
	writeSQLite(t, path,
		`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, hashed_password TEXT NOT NULL, created_at TIMESTAMP)`,
		`INSERT INTO users VALUES ('u1', 'admin@XN--E1AFMKFD.xn--p1ai', '!', '2024-10-01 12:00:00')`,
		`INSERT INTO users VALUES ('u2', 'paypal@x.org', '!', '2024-10-01 12:00:01')`,
		`INSERT INTO users VALUES ('u3', 'раураӏ@x.org', '!', '2024-10-01 12:00:02')`,
	)
	s := openStore(t, path, db.Options{})
	got := readRows(t, path, `SELECT id || ' ' || email_normalized || ' ' || (email_skeleton IS NOT NULL) FROM users ORDER BY id`)
	if want := []string{"u1 admin@пример.рф 1", "u2 paypal@x.org 1", "u3 раураӏ@x.org 1"}; !slices.Equal(got, want) {
		t.Errorf("adopted users %q; want %q", got, want)
	}
	rep, err := s.Doctor(context.Background(), docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	found, all := docFindings(rep, "look-alikes")
	if len(found) != 1 || found[0].Severity != user.SeverityProblem || !strings.Contains(found[0].Message, `"раураӏ@x.org" (id u3;`) {
		t.Errorf("doctor on the adopted file: %+v; want the paypal look-alikes:%s", found, all)
	}
}
