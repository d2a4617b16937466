package sqlite_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/user"
)

// writeChain makes six audit entries (ids 1 to 6) through the service.
func writeChain(t *testing.T, svc *user.Service) {
	t.Helper()
	ctx := context.Background()
	steps := []func() error{
		func() error {
			_, err := svc.Register(ctx, "alice@example.org", "correct horse battery staple", nil)
			return err
		},
		func() error {
			_, err := svc.Register(ctx, "bob@example.org", "correct horse battery staple", nil)
			return err
		},
		func() error {
			_, err := svc.SetRoles(ctx, "alice@example.org", []user.Role{user.RoleAdmin})
			return err
		},
		func() error { _, _, err := svc.SetDisabled(ctx, "bob@example.org", true); return err },
		func() error {
			return svc.SetLockout(ctx, user.LockoutPolicy{Threshold: 3, Duration: 10 * time.Minute})
		},
		func() error { _, err := svc.Delete(ctx, "bob@example.org"); return err },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
	}
}

func verifyChain(t *testing.T, s *sqlite.Store) db.ChainReport {
	t.Helper()
	rep, err := s.VerifyAuditChain(context.Background())
	if err != nil {
		t.Fatalf("VerifyAuditChain: %v", err)
	}
	return rep
}

// chainHash computes a row's hash the way chain.go documents it: SHA-256
// over the chain version, the previous hash and the row's columns, each as
// "<len>:<bytes>\n", NULL as "-1:\n". A forger who knows the format can do
// the same, which is what some cases below play.
func chainHash(prev string, id int64, at, actor, action string, userID sql.NullString, email, details string) string {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s\n", len(s), s) }
	field("ctitui-audit-chain-v1")
	field(prev)
	field(fmt.Sprint(id))
	field(at)
	field(actor)
	field(action)
	if userID.Valid {
		field(userID.String)
	} else {
		fmt.Fprint(h, "-1:\n")
	}
	field(email)
	field(details)
	return hex.EncodeToString(h.Sum(nil))
}

// reseal recomputes the hashes of the rows with ids from..to (to 0: the
// newest), as a forger with the format would after editing them.
func reseal(t *testing.T, raw *sql.DB, from, to int64) {
	t.Helper()
	var prev string
	if err := raw.QueryRow(`SELECT COALESCE((SELECT hash FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT 1), '')`, from).Scan(&prev); err != nil {
		t.Fatal(err)
	}
	if to == 0 {
		to = 1 << 62
	}
	rows, err := raw.Query(`SELECT id, at, actor, action, user_id, user_email, details FROM audit_log WHERE id BETWEEN ? AND ? ORDER BY id`, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close() // for t.Fatal; closed below before the updates
	type row struct {
		id                                    int64
		at, actor, action, userEmail, details string
		userID                                sql.NullString
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.at, &r.actor, &r.action, &r.userID, &r.userEmail, &r.details); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, r := range all {
		h := chainHash(prev, r.id, r.at, r.actor, r.action, r.userID, r.userEmail, r.details)
		if _, err := raw.Exec(`UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?`, prev, h, r.id); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
}

func TestAuditChainOfServiceWritesVerifies(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
	if rep := verifyChain(t, s); !rep.OK() || rep.Rows != 0 || rep.String() != "audit chain: empty" {
		t.Errorf("empty log: %+v %q", rep, rep)
	}
	svc := newService(s)
	writeChain(t, svc)
	// Lock and unlock as well: those entries are written by other paths.
	for range 3 {
		if _, err := svc.Verify(ctx, "alice@example.org", "wrong wrong wrong wrong"); err != user.ErrInvalidCredentials {
			t.Fatalf("Verify = %v", err)
		}
	}
	if _, _, err := svc.Unlock(ctx, "alice@example.org"); err != nil {
		t.Fatal(err)
	}
	rep := verifyChain(t, s)
	if !rep.OK() || rep.Rows != 8 || rep.HeadID != 8 || rep.Broken != 0 || rep.Problem != "" {
		t.Fatalf("report = %+v; want ok over 8 rows", rep)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(rep.HeadHash) {
		t.Errorf("HeadHash = %q; want 64 hex digits", rep.HeadHash)
	}
	if str := rep.String(); !strings.HasPrefix(str, "audit chain: ok, 8 entries, head ") || !strings.Contains(str, rep.HeadHash) {
		t.Errorf("String() = %q; want ok, 8 entries and the head hash", str)
	}

	// Each row's prev_hash is the hash before it, and its hash is what the
	// documented format gives.
	raw := openRawSQLite(t, s.Path(), true)
	rows, err := raw.Query(`SELECT id, at, actor, action, user_id, user_email, details, prev_hash, hash FROM audit_log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	prev := ""
	for rows.Next() {
		var (
			id                                                  int64
			at, actor, action, email, details, prevHash, hashed string
			userID                                              sql.NullString
		)
		if err := rows.Scan(&id, &at, &actor, &action, &userID, &email, &details, &prevHash, &hashed); err != nil {
			t.Fatal(err)
		}
		if prevHash != prev {
			t.Errorf("row %d: prev_hash %q; want %q", id, prevHash, prev)
		}
		if want := chainHash(prev, id, at, actor, action, userID, email, details); hashed != want {
			t.Errorf("row %d: hash %q; want %q", id, hashed, want)
		}
		prev = hashed
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if prev != rep.HeadHash {
		t.Errorf("last hash %q; HeadHash %q", prev, rep.HeadHash)
	}
}

// TestAuditChainDetectsTampering edits a six-row chain with plain SQL, as
// someone with the sqlite3 shell would, and checks that the walk names the
// first row that is wrong, says how, and counts the rows that fail.
func TestAuditChainDetectsTampering(t *testing.T) {
	const (
		changed = "changed after it was written"
		gap     = "does not follow the entry before it"
		unseal  = "not sealed into the chain"
	)
	tests := []struct {
		name     string
		tamper   func(t *testing.T, raw *sql.DB)
		brokenAt int64
		problem  string
		broken   int
		rows     int
	}{
		{"details of row 3", exec(`UPDATE audit_log SET details = 'roles analyst -> viewer' WHERE id = 3`), 3, changed, 1, 6},
		{"time of row 3", exec(`UPDATE audit_log SET at = '2020-01-01T00:00:00.000Z' WHERE id = 3`), 3, changed, 1, 6},
		{"actor of row 4", exec(`UPDATE audit_log SET actor = 'someone-else' WHERE id = 4`), 4, changed, 1, 6},
		{"action of row 6", exec(`UPDATE audit_log SET action = 'disable' WHERE id = 6`), 6, changed, 1, 6},
		{"email of row 1", exec(`UPDATE audit_log SET user_email = 'mallory@example.org' WHERE id = 1`), 1, changed, 1, 6},
		{"user id of row 2 to NULL", exec(`UPDATE audit_log SET user_id = NULL WHERE id = 2`), 2, changed, 1, 6},
		{"user id of row 5 from NULL to ''", exec(`UPDATE audit_log SET user_id = '' WHERE id = 5`), 5, changed, 1, 6},
		{"details of row 3, its hash recomputed", func(t *testing.T, raw *sql.DB) {
			exec(`UPDATE audit_log SET details = 'forged' WHERE id = 3`)(t, raw)
			reseal(t, raw, 3, 3)
		}, 4, gap, 1, 6},
		{"delete row 3", exec(`DELETE FROM audit_log WHERE id = 3`), 4, gap, 1, 5},
		{"delete row 1", exec(`DELETE FROM audit_log WHERE id = 1`), 2, gap, 1, 5},
		{"delete rows 2 to 4", exec(`DELETE FROM audit_log WHERE id BETWEEN 2 AND 4`), 5, gap, 1, 3},
		{"insert an unsealed row", exec(`INSERT INTO audit_log (at, actor, action, user_email, details) VALUES ('2026-01-01T00:00:00.000Z', 'mallory', 'register', 'mallory@example.org', '')`), 7, unseal, 1, 7},
		{"insert a row copying another's hashes", exec(`INSERT INTO audit_log (at, actor, action, user_id, user_email, details, prev_hash, hash)
			SELECT at, actor, action, user_id, user_email, details, prev_hash, hash FROM audit_log WHERE id = 3`), 7, gap, 1, 7},
		// Ids are hashed, so making room between rows breaks every moved row.
		{"insert an unsealed row between rows", exec(`INSERT INTO audit_log (id, at, actor, action, user_email, details)
			SELECT 35, at, actor, action, user_email, details FROM audit_log WHERE id = 3`,
			`UPDATE audit_log SET id = id * 10 WHERE id > 3 AND id <> 35`), 35, unseal, 4, 7},
		{"swap rows 3 and 4 entirely", exec(
			`UPDATE audit_log SET id = 100 WHERE id = 3`,
			`UPDATE audit_log SET id = 3 WHERE id = 4`,
			`UPDATE audit_log SET id = 4 WHERE id = 100`), 3, gap, 3, 6},
		{"swap the details of rows 2 and 3", exec(
			`UPDATE audit_log SET details = (SELECT group_concat(details, '|') FROM audit_log WHERE id IN (2, 3)) WHERE id IN (2, 3)`), 2, changed, 2, 6},
		{"renumber the last row", exec(`UPDATE audit_log SET id = 60 WHERE id = 6`), 60, changed, 1, 6},
		{"renumber row 3 to the end", exec(`UPDATE audit_log SET id = 7 WHERE id = 3`), 4, gap, 2, 6},
		{"NULL the hash of row 4", exec(`UPDATE audit_log SET hash = NULL WHERE id = 4`), 4, unseal, 2, 6},
		{"NULL the prev_hash of row 4", exec(`UPDATE audit_log SET prev_hash = NULL WHERE id = 4`), 4, unseal, 1, 6},
		{"two edits: first reported, both counted", exec(
			`UPDATE audit_log SET details = 'x' WHERE id = 2`,
			`DELETE FROM audit_log WHERE id = 5`), 2, changed, 2, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
			writeChain(t, newService(s))
			before := verifyChain(t, s)
			if !before.OK() || before.Rows != 6 {
				t.Fatalf("before tampering: %+v", before)
			}
			raw := openRawSQLite(t, s.Path(), false)
			tt.tamper(t, raw)
			rep := verifyChain(t, s)
			if rep.OK() || rep.BrokenAt != tt.brokenAt || !strings.Contains(rep.Problem, tt.problem) || rep.Broken != tt.broken || rep.Rows != tt.rows {
				t.Errorf("report = %+v; want broken at #%d (%q), %d of %d rows failing", rep, tt.brokenAt, tt.problem, tt.broken, tt.rows)
			}
			if str, want := rep.String(), fmt.Sprintf("broken at entry #%d: ", tt.brokenAt); !strings.Contains(str, want) || !strings.Contains(str, rep.Problem) {
				t.Errorf("String() = %q; want it to say %q and the problem", str, want)
			}
			// The store keeps working, and new entries do not hide the break.
			if _, err := newService(s).Register(context.Background(), "carol@example.org", "correct horse battery staple", nil); err != nil {
				t.Fatalf("Register after tampering: %v", err)
			}
			if again := verifyChain(t, s); again.BrokenAt != rep.BrokenAt || again.Broken != rep.Broken || again.Rows != rep.Rows+1 {
				t.Errorf("after one more entry: %+v; want the same break as %+v", again, rep)
			}
		})
	}
}

func exec(stmts ...string) func(t *testing.T, raw *sql.DB) {
	return func(t *testing.T, raw *sql.DB) {
		t.Helper()
		for _, q := range stmts {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
}

// TestAuditChainDetectsACutLog: the chain alone cannot see that its newest
// rows, or all of them, were removed; the head record, written with every
// append, can, and ctitui's next entry keeps the cut visible for good by
// chaining from the head rather than from the row left last.
func TestAuditChainDetectsACutLog(t *testing.T) {
	for _, tt := range []struct {
		name      string
		tamper    func(t *testing.T, raw *sql.DB)
		rows      int
		want      string // in EndProblem
		nextBreak int64  // the entry ctitui writes next is reported at this id; 0: ctitui refuses to write
	}{
		{"delete the newest row", exec(`DELETE FROM audit_log WHERE id = 6`), 5, "newest entries were removed", 7},
		{"delete the newest three rows", exec(`DELETE FROM audit_log WHERE id >= 4`), 3, "newest entries were removed", 7},
		{"delete every row", exec(`DELETE FROM audit_log`), 0, "every entry was removed", 7},
		{"delete every row and the id counter", exec(`DELETE FROM audit_log`, `DELETE FROM sqlite_sequence`), 0, "every entry was removed", 7},
		{"replace the newest row by a resealed one", func(t *testing.T, raw *sql.DB) {
			exec(`UPDATE audit_log SET details = 'forged' WHERE id = 6`)(t, raw)
			reseal(t, raw, 6, 6)
		}, 6, "was replaced", 7},
		{"delete the newest rows and rewrite the head, not the id counter", exec(
			`DELETE FROM audit_log WHERE id >= 5`,
			`UPDATE audit_head SET last_id = 4, last_hash = (SELECT hash FROM audit_log WHERE id = 4)`), 4, "ids were given up to #6", 0},
		{"delete the newest rows, rewrite the head and remove the id counter", exec(
			`DELETE FROM audit_log WHERE id >= 5`,
			`UPDATE audit_head SET last_id = 4, last_hash = (SELECT hash FROM audit_log WHERE id = 4)`,
			`DELETE FROM sqlite_sequence WHERE name = 'audit_log'`), 4, "id counter", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
			writeChain(t, newService(s))
			tt.tamper(t, openRawSQLite(t, s.Path(), false))
			rep := verifyChain(t, s)
			if rep.OK() || !strings.Contains(rep.EndProblem, tt.want) || rep.Rows != tt.rows {
				t.Fatalf("report = %+v; want %d rows and an end problem saying %q", rep, tt.rows, tt.want)
			}
			if !strings.Contains(rep.String(), tt.want) {
				t.Errorf("String() = %q; want it to say %q", rep.String(), tt.want)
			}
			_, err := newService(s).Register(context.Background(), "carol@example.org", "correct horse battery staple", nil)
			if tt.nextBreak == 0 {
				if err == nil || !strings.Contains(err.Error(), "removed") {
					t.Errorf("Register after a cut that left only the id counter = %v; want a refusal", err)
				}
				if again := verifyChain(t, s); again.EndProblem != rep.EndProblem {
					t.Errorf("after the refused write: %+v; want the same report %+v", again, rep)
				}
				return
			}
			if err != nil {
				t.Fatalf("Register after the cut: %v", err)
			}
			after := verifyChain(t, s)
			if after.OK() {
				t.Fatalf("after one more entry: %+v; want the cut still visible", after)
			}
			if after.BrokenAt != tt.nextBreak || !strings.Contains(after.Problem, "does not follow") {
				t.Errorf("after one more entry: %+v; want entry #%d reported as not following the entry before it", after, tt.nextBreak)
			}
		})
	}
}

// TestAuditChainEndSaysWhatHappened: each way the end of the log can
// disagree with the head record and the id counter is reported as what it
// is, at the smallest cut that shows it: one entry, not several.
func TestAuditChainEndSaysWhatHappened(t *testing.T) {
	tests := []struct {
		name    string
		entries int // written by ctitui first
		tamper  func(t *testing.T, raw *sql.DB)
		rows    int
		want    string // in EndProblem
	}{
		{
			name:    "the only entry deleted",
			entries: 1,
			tamper:  exec(`DELETE FROM audit_log`),
			rows:    0,
			want:    "the log is empty but its head record names entry #1: every entry was removed",
		},
		{
			name:    "the newest entry deleted and the head rewritten to the one before",
			entries: 6,
			tamper: exec(`DELETE FROM audit_log WHERE id = 6`,
				`UPDATE audit_head SET last_id = 5, last_hash = (SELECT hash FROM audit_log WHERE id = 5)`),
			rows: 5,
			want: "the log ends at entry #5 but ids were given up to #6",
		},
		{
			name:    "an entry chained properly but written outside ctitui",
			entries: 6,
			tamper: func(t *testing.T, raw *sql.DB) {
				var prev string
				if err := raw.QueryRow(`SELECT hash FROM audit_log WHERE id = 6`).Scan(&prev); err != nil {
					t.Fatal(err)
				}
				const at, actor, action, details = "2030-01-01T00:00:00.000Z", "intruder", "register", "roles=admin"
				h := chainHash(prev, 7, at, actor, action, sql.NullString{}, "mallory@example.org", details)
				if _, err := raw.Exec(`INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details, prev_hash, hash) VALUES (7, ?, ?, ?, NULL, 'mallory@example.org', ?, ?, ?)`,
					at, actor, action, details, prev, h); err != nil {
					t.Fatal(err)
				}
			},
			rows: 7,
			want: "entries after #6, the newest its head record names, were written outside ctitui",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
			if tt.entries == 1 {
				if _, err := newService(s).Register(context.Background(), "alice@example.org", "correct horse battery staple", nil); err != nil {
					t.Fatal(err)
				}
			} else {
				writeChain(t, newService(s))
			}
			if got := len(auditEntries(t, s)); got != tt.entries {
				t.Fatalf("%d audit entries before tampering; want %d", got, tt.entries)
			}
			tt.tamper(t, openRawSQLite(t, s.Path(), false))
			rep := verifyChain(t, s)
			if rep.OK() || rep.Rows != tt.rows || !strings.Contains(rep.EndProblem, tt.want) {
				t.Errorf("report = %+v; want %d rows and the end problem %q", rep, tt.rows, tt.want)
			}
		})
	}
}

func TestAuditChainRefusesToGoOnWithoutItsHead(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
	writeChain(t, newService(s))
	exec(`DELETE FROM audit_head`)(t, openRawSQLite(t, s.Path(), false))
	if rep := verifyChain(t, s); rep.OK() || !strings.Contains(rep.EndProblem, "head record") {
		t.Errorf("report = %+v; want the missing head reported", rep)
	}
	before := len(auditEntries(t, s))
	_, err := newService(s).Register(ctx, "carol@example.org", "correct horse battery staple", nil)
	if err == nil || !strings.Contains(err.Error(), "audit_head") {
		t.Errorf("Register without a head = %v; want a refusal naming audit_head", err)
	}
	if got := len(auditEntries(t, s)); got != before {
		t.Errorf("audit entries %d -> %d; want nothing written", before, got)
	}
	if _, err := s.UserByEmail(ctx, "carol@example.org"); err == nil {
		t.Errorf("the user was added although its audit entry could not be written")
	}
}

// TestOpenWithoutTheAuditHeadTable: a file that lost the table of the
// chain's head record, and the record that its log was sealed, still opens,
// unchanged, so that doctor can say what is missing: Open does not try to
// seal the log into a table that is not there. Writes stay refused until
// someone has looked.
func TestOpenWithoutTheAuditHeadTable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ctitui.db")
	s := openStore(t, path, db.Options{})
	s.Close()
	exec(`DROP TABLE audit_head`, `DELETE FROM settings WHERE key = 'audit_chain_sealed_at'`)(t, openRawSQLite(t, path, false))
	before := fileSHA256(t, path)

	s, err := sqlite.Open(ctx, path, db.Options{})
	if err != nil {
		t.Fatalf("Open of a file without audit_head = %v; want it opened for doctor", err)
	}
	defer s.Close()
	rep, err := s.Doctor(ctx, db.DoctorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := findingOf(rep, "schema"); f.Severity != user.SeverityProblem || !strings.Contains(f.Message, "table audit_head is missing") {
		t.Errorf("doctor's schema finding = %+v; want the missing audit_head reported", f)
	}
	if _, err := newService(s).Register(ctx, "alice@example.org", "correct horse battery staple", nil); err == nil || !strings.Contains(err.Error(), "audit_head") {
		t.Errorf("Register without audit_head = %v; want a refusal naming audit_head", err)
	}
	s.Close()
	if after := fileSHA256(t, path); after != before {
		t.Errorf("the file changed: Open, doctor and a refused write must leave it as it was")
	}
}

// TestAuditChainIsSealedOnce: a chained log that lost its seal record is
// evidence; ctitui never hashes over it again.
func TestAuditChainIsSealedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	s := openStore(t, path, db.Options{})
	writeChain(t, newService(s))
	s.Close()
	raw := openRawSQLite(t, path, false)
	exec(`UPDATE audit_log SET details = 'forged' WHERE id = 2`, `DELETE FROM settings WHERE key = 'audit_chain_sealed_at'`)(t, raw)
	hashes := strings.Join(queryStrings(t, raw, `SELECT id || ':' || prev_hash || ':' || hash FROM audit_log ORDER BY id`), "\n")

	s2 := openStore(t, path, db.Options{})
	if got := strings.Join(queryStrings(t, raw, `SELECT id || ':' || prev_hash || ':' || hash FROM audit_log ORDER BY id`), "\n"); got != hashes {
		t.Errorf("Open re-hashed the chained log:\n%s\nwant unchanged:\n%s", got, hashes)
	}
	rep := verifyChain(t, s2)
	if rep.OK() || rep.BrokenAt != 2 || !strings.Contains(rep.EndProblem, "sealed") {
		t.Errorf("report = %+v; want the edit at #2 and the missing seal record reported", rep)
	}
}

// TestAuditChainLimits pins what the database alone cannot show, so that
// nobody mistakes the chain for more: someone who rewrites the rows, the
// head record and the id counter together leaves a consistent log. The head
// hash changes, which is why `audit verify` prints it to be noted outside
// the file, and `--anchor` checks it.
func TestAuditChainLimits(t *testing.T) {
	for _, tt := range []struct {
		name   string
		tamper func(t *testing.T, raw *sql.DB)
		rows   int
	}{
		{"delete the newest row, rewrite head and counter", exec(
			`DELETE FROM audit_log WHERE id = 6`,
			`UPDATE audit_head SET last_id = 5, last_hash = (SELECT hash FROM audit_log WHERE id = 5)`,
			`UPDATE sqlite_sequence SET seq = 5 WHERE name = 'audit_log'`), 5},
		{"delete every row, rewrite head and counter", exec(
			`DELETE FROM audit_log`, `UPDATE audit_head SET last_id = 0, last_hash = ''`, `DELETE FROM sqlite_sequence`), 0},
		{"edit row 2, reseal the rest, rewrite the head", func(t *testing.T, raw *sql.DB) {
			exec(`UPDATE audit_log SET details = 'roles=admin' WHERE id = 2`)(t, raw)
			reseal(t, raw, 2, 0)
			exec(`UPDATE audit_head SET last_hash = (SELECT hash FROM audit_log WHERE id = 6)`)(t, raw)
		}, 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
			writeChain(t, newService(s))
			anchor := verifyChain(t, s)
			tt.tamper(t, openRawSQLite(t, s.Path(), false))
			rep := verifyChain(t, s)
			if !rep.OK() || rep.Rows != tt.rows {
				t.Errorf("report = %+v; want ok over %d rows (undetectable without the anchor)", rep, tt.rows)
			}
			if rep.HeadHash == anchor.HeadHash {
				t.Errorf("head hash unchanged (%s): the anchor would not catch this", rep.HeadHash)
			}
			if err := s.CheckAuditAnchor(context.Background(), fmt.Sprintf("%d:%s", anchor.HeadID, anchor.HeadHash)); err == nil {
				t.Errorf("CheckAuditAnchor(%d:%s) = nil; want the rewrite caught", anchor.HeadID, anchor.HeadHash)
			}
		})
	}
}

// preChainDB builds a database at schema 6, before the chain existed, with
// the given audit rows written by SQL, and closes it.
func preChainDB(t *testing.T, path string, details ...string) {
	t.Helper()
	p, raw := newGooseProvider(t, path)
	if _, err := p.UpTo(context.Background(), 6); err != nil {
		t.Fatalf("UpTo(6): %v", err)
	}
	for i, d := range details {
		uid := sql.NullString{String: fmt.Sprintf("u%d", i), Valid: i%2 == 0}
		if _, err := raw.Exec(`INSERT INTO audit_log (at, actor, action, user_id, user_email, details) VALUES (?, 'olduser', 'register', ?, ?, ?)`,
			fmt.Sprintf("2025-06-0%dT10:00:00.000Z", i+1), uid, fmt.Sprintf("user%d@example.org", i), d); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestAuditChainSealsPreChainRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ctitui.db")
	preChainDB(t, path, "roles=admin", "", "roles=analyst,viewer")

	s, err := sqlite.Open(ctx, path, db.Options{Now: func() time.Time { return time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC) }})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if s.SchemaVersion() != sqlite.LatestVersion() {
		t.Errorf("schema %d; want %d", s.SchemaVersion(), sqlite.LatestVersion())
	}
	rep := verifyChain(t, s)
	if !rep.OK() || rep.Rows != 3 || rep.HeadID != 3 {
		t.Errorf("after sealing: %+v; want ok over 3 rows", rep)
	}
	raw := openRawSQLite(t, path, true)
	if got := queryStrings(t, raw, `SELECT value FROM settings WHERE key = 'audit_chain_sealed_at'`); len(got) != 1 || got[0] != "2026-02-03T04:05:06.000Z" {
		t.Errorf("sealed marker = %q", got)
	}
	if n := queryInt(t, raw, `SELECT count(*) FROM audit_log WHERE hash IS NULL OR prev_hash IS NULL`); n != 0 {
		t.Errorf("%d rows left unsealed", n)
	}
	// The old rows' content is untouched.
	if got := queryStrings(t, raw, `SELECT details FROM audit_log ORDER BY id`); strings.Join(got, "|") != "roles=admin||roles=analyst,viewer" {
		t.Errorf("details = %q", got)
	}
	// New entries chain on.
	if _, err := newService(s).Register(ctx, "new@example.org", "correct horse battery staple", nil); err != nil {
		t.Fatal(err)
	}
	if rep := verifyChain(t, s); !rep.OK() || rep.Rows != 4 {
		t.Errorf("after a new entry: %+v", rep)
	}

	// A row written without a hash after sealing is evidence, reported and
	// never sealed, not on this open and not on the next.
	w := openRawSQLite(t, path, false)
	exec(`INSERT INTO audit_log (at, actor, action, user_email, details) VALUES ('2026-02-03T05:00:00.000Z', 'mallory', 'unlock', 'new@example.org', 'sneaked in')`)(t, w)
	if rep := verifyChain(t, s); rep.BrokenAt != 5 || !strings.Contains(rep.Problem, "not sealed") || rep.Broken != 1 {
		t.Errorf("after an unsealed insert: %+v; want broken at #5, not sealed", rep)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s2 := openStore(t, path, db.Options{})
		rep := verifyChain(t, s2)
		if rep.BrokenAt != 5 || !strings.Contains(rep.Problem, "not sealed") {
			t.Errorf("after reopening: %+v; want still broken at #5, not sealed", rep)
		}
		if n := queryInt(t, raw, `SELECT count(*) FROM audit_log WHERE id = 5 AND hash IS NULL`); n != 1 {
			t.Errorf("Open sealed the row inserted outside ctitui")
		}
		if rep.Rows > 5 && rep.Broken != 1 {
			t.Errorf("entries appended after the unsealed row are reported too: %+v", rep)
		}
		// Appending after the unsealed row still works, and does not
		// multiply the report.
		if _, err := newService(s2).Register(ctx, fmt.Sprintf("n%d@example.org", rep.Rows), "correct horse battery staple", nil); err != nil {
			t.Fatal(err)
		}
		s2.Close()
	}
}

func TestAuditChainSealsEmptyPreChainLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	preChainDB(t, path)
	s := openStore(t, path, db.Options{})
	if rep := verifyChain(t, s); !rep.OK() || rep.Rows != 0 {
		t.Errorf("empty pre-chain log: %+v", rep)
	}
	// Sealed once: a row inserted without a hash later is not adopted.
	exec(`INSERT INTO audit_log (at, actor, action) VALUES ('2026-01-01T00:00:00.000Z', 'x', 'register')`)(t, openRawSQLite(t, path, false))
	s.Close()
	s2 := openStore(t, path, db.Options{})
	if rep := verifyChain(t, s2); rep.BrokenAt != 1 || !strings.Contains(rep.Problem, "not sealed") {
		t.Errorf("unsealed first row after reopening: %+v", rep)
	}
}

// TestAuditChainUnderConcurrentWriters: appends read the head and write after
// it in one write transaction, so writers in parallel, on one store or on two
// stores over the same file, still build one unbroken chain.
func TestAuditChainUnderConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ctitui.db")
	s := openStore(t, path, db.Options{})
	other := openStore(t, path, db.Options{})
	const goroutines, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := range goroutines {
		store := s
		if g >= 2 {
			store = other // two goroutines on a second connection pool
		}
		svc := newService(store)
		wg.Go(func() {
			for i := range each {
				email := fmt.Sprintf("g%d-%d@example.org", g, i/2)
				var err error
				if i%2 == 0 {
					_, err = svc.Register(ctx, email, "correct horse battery staple", nil)
				} else {
					_, err = svc.SetRoles(ctx, email, []user.Role{user.RoleViewer})
				}
				if err != nil {
					errs <- fmt.Errorf("goroutine %d op %d: %w", g, i, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	rep := verifyChain(t, s)
	if !rep.OK() || rep.Rows != goroutines*each || rep.HeadID != goroutines*each {
		t.Errorf("report = %+v; want ok over %d rows", rep, goroutines*each)
	}
	if n, _ := newService(s).Count(ctx, user.Filter{}); n != goroutines*13 {
		t.Errorf("Count = %d; want %d", n, goroutines*13)
	}
}

// TestAuditChainIsNotResealedAfterStripping: a log stripped of every hash
// and of its seal record looks like one written before the chain existed.
// Sealed once, it is never sealed again: the head record shows it was, and
// the stripping is reported, not laundered by the next open.
func TestAuditChainIsNotResealedAfterStripping(t *testing.T) {
	for _, tt := range []struct {
		name   string
		tamper []string
	}{
		{"strip and cut", []string{`DELETE FROM audit_log WHERE id = 6`, `UPDATE sqlite_sequence SET seq = 5 WHERE name = 'audit_log'`,
			`UPDATE audit_log SET hash = NULL, prev_hash = NULL`, `DELETE FROM settings WHERE key = 'audit_chain_sealed_at'`}},
		{"strip and edit", []string{`UPDATE audit_log SET details = 'forged', actor = 'nobody' WHERE id = 2`,
			`UPDATE audit_log SET hash = NULL, prev_hash = NULL`, `DELETE FROM settings WHERE key = 'audit_chain_sealed_at'`}},
		// Made to look like a log that an upgrade left waiting to be sealed.
		{"strip, edit, drop the head and mark the log as waiting", []string{`UPDATE audit_log SET details = 'forged' WHERE id = 2`,
			`UPDATE audit_log SET hash = NULL, prev_hash = NULL`, `DELETE FROM settings WHERE key = 'audit_chain_sealed_at'`, `DELETE FROM audit_head`,
			`INSERT INTO settings (key, value, updated_at) VALUES ('audit_chain_seal_pending', '', '2026-01-01T00:00:00.000Z')`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ctitui.db")
			s := openStore(t, path, db.Options{})
			writeChain(t, newService(s))
			s.Close()
			exec(tt.tamper...)(t, openRawSQLite(t, path, false))
			for range 2 {
				s2, err := sqlite.Open(context.Background(), path, db.Options{})
				if err != nil {
					t.Fatal(err)
				}
				rep := verifyChain(t, s2)
				s2.Close()
				if rep.OK() || !strings.Contains(rep.String(), "sealed") {
					t.Errorf("after reopening: %v; want the stripped log reported", rep)
				}
			}
			if n := queryInt(t, openRawSQLite(t, path, true), `SELECT count(*) FROM audit_log WHERE hash IS NOT NULL`); n != 0 {
				t.Errorf("%d rows were hashed again after the log was stripped", n)
			}
		})
	}
}

// TestCheckAuditAnchor: an anchor is "ID:HASH" exactly as 'ctitui audit
// verify' prints it. Only the whole hash of an entry that still exists
// passes; another hash of the same form does not, and an anchor of another
// form (a prefix of the hash, however long, or one in upper case) is refused
// as such rather than compared.
func TestCheckAuditAnchor(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
	writeChain(t, newService(s))
	rep := verifyChain(t, s)
	head := fmt.Sprintf("%d:%s", rep.HeadID, rep.HeadHash)
	tests := []struct {
		anchor  string
		badForm bool   // want ErrBadAnchor
		want    string // in the error; "" for none
	}{
		{anchor: head},
		{anchor: head[:len(head)-1] + otherHexDigit(head[len(head)-1]), want: "no longer has the anchored hash"},
		{anchor: head[:len(head)-1], badForm: true},
		{anchor: fmt.Sprintf("%d:%s", rep.HeadID, rep.HeadHash[:8]), badForm: true},
		{anchor: head + "0", badForm: true},
		{anchor: fmt.Sprintf("%d:%s", rep.HeadID, strings.ToUpper(rep.HeadHash)), badForm: true},
		{anchor: "99:" + rep.HeadHash, want: "no longer exists"},
		{anchor: fmt.Sprintf("%d:", rep.HeadID), badForm: true},
		{anchor: fmt.Sprint(rep.HeadID), badForm: true},
		{anchor: ":" + rep.HeadHash, badForm: true},
		{anchor: "six:" + rep.HeadHash, badForm: true},
		{anchor: "", badForm: true},
	}
	for _, tt := range tests {
		err := s.CheckAuditAnchor(ctx, tt.anchor)
		switch {
		case tt.badForm:
			if !errors.Is(err, db.ErrBadAnchor) {
				t.Errorf("CheckAuditAnchor(%q) = %v; want %v", tt.anchor, err, db.ErrBadAnchor)
			}
		case tt.want == "":
			if err != nil {
				t.Errorf("CheckAuditAnchor(%q) = %v; want nil", tt.anchor, err)
			}
		default:
			if err == nil || errors.Is(err, db.ErrBadAnchor) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CheckAuditAnchor(%q) = %v; want an error saying %q", tt.anchor, err, tt.want)
			}
		}
	}
}

// otherHexDigit returns a lower-case hex digit other than c.
func otherHexDigit(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}
