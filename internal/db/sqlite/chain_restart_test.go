package sqlite_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// auditDump lists the audit rows below id as stored, hashes included, so
// that a test can tell they were left exactly as they were.
func auditDump(t *testing.T, raw *sql.DB, below int64) []string {
	t.Helper()
	return queryStrings(t, raw, `SELECT id || '|' || at || '|' || actor || '|' || action || '|' || quote(user_id) || '|' ||
		user_email || '|' || details || '|' || quote(prev_hash) || '|' || quote(hash) FROM audit_log WHERE id < ? ORDER BY id`, below)
}

func restartOpts(reason string) db.RestartOptions {
	return db.RestartOptions{Actor: "tester", Reason: reason, Now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
}

// TestRestartAuditChainAfterEachBreak: whatever broke the chain, an
// explicit restart records what verify found, starts a new segment after
// it, and from then on verify and doctor pass and ctitui writes again; the
// broken entries stay as they were found.
func TestRestartAuditChainAfterEachBreak(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, raw *sql.DB)
		found  string // in what the restart entry records
	}{
		{"an entry changed", exec(`UPDATE audit_log SET details = 'forged' WHERE id = 3`), "broken at entry #3"},
		{"an entry deleted", exec(`DELETE FROM audit_log WHERE id = 3`), "broken at entry #4"},
		{"an unsealed entry inserted", exec(`INSERT INTO audit_log (at, actor, action, user_email, details) VALUES ('2026-01-01T00:00:00.000Z', 'mallory', 'register', 'mallory@example.org', '')`), "not sealed"},
		{"the newest entries cut", exec(`DELETE FROM audit_log WHERE id >= 5`), "newest entries were removed"},
		{"every entry deleted", exec(`DELETE FROM audit_log`), "every entry was removed"},
		{"the head record deleted", exec(`DELETE FROM audit_head`), "head record"},
		{"the head table dropped", exec(`DROP TABLE audit_head`), "head record"},
		{"a cut with the head rewritten", exec(`DELETE FROM audit_log WHERE id >= 5`,
			`UPDATE audit_head SET last_id = 4, last_hash = (SELECT hash FROM audit_log WHERE id = 4)`), "ids were given up to #6"},
		{"a cut with the head rewritten and the counter gone", exec(`DELETE FROM audit_log WHERE id >= 5`,
			`UPDATE audit_head SET last_id = 4, last_hash = (SELECT hash FROM audit_log WHERE id = 4)`,
			`DELETE FROM sqlite_sequence WHERE name = 'audit_log'`), "id counter"},
		{"the seal record removed", exec(`DELETE FROM settings WHERE key = 'audit_chain_sealed_at'`), "sealed"},
		{"hashes stripped and the seal record removed", exec(`UPDATE audit_log SET prev_hash = NULL, hash = NULL`,
			`DELETE FROM settings WHERE key = 'audit_chain_sealed_at'`), "not sealed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
			writeChain(t, newService(s))
			raw := openRawSQLite(t, s.Path(), false)
			tt.tamper(t, raw)
			broken := verifyChain(t, s)
			if broken.OK() {
				t.Fatalf("after tampering: %+v; want a broken chain", broken)
			}

			res, err := s.RestartAuditChain(ctx, restartOpts("incident 42: laptop left unlocked"))
			if err != nil {
				t.Fatalf("RestartAuditChain: %v", err)
			}
			if res.Found.String() != broken.String() {
				t.Errorf("Found = %q; want what verify found, %q", res.Found.String(), broken.String())
			}
			if res.Backup == "" {
				t.Errorf("no backup of the broken file was kept")
			}
			rep := verifyChain(t, s)
			if !rep.OK() {
				t.Fatalf("after the restart: %+v; want a whole chain", rep)
			}
			if len(rep.Restarts) != 1 || rep.Restarts[0].ID != res.ID || rep.HeadID != res.ID {
				t.Fatalf("restarts = %+v, head #%d; want one restart, entry #%d, at the head", rep.Restarts, rep.HeadID, res.ID)
			}
			got := rep.Restarts[0]
			for _, want := range []string{`reason: "incident 42: laptop left unlocked"; found: `, tt.found} {
				if !strings.Contains(got.Details, want) {
					t.Errorf("restart details = %q; want them to say %q", got.Details, want)
				}
			}
			if got.Actor != "tester" {
				t.Errorf("restart actor = %q; want tester", got.Actor)
			}
			if !strings.Contains(rep.String(), "restarted at entry #") {
				t.Errorf("String() = %q; want the restart named", rep.String())
			}
			entries := auditEntries(t, s)
			if len(entries) == 0 || entries[0].Action != user.ActionRestartChain {
				t.Errorf("newest audit entry = %+v; want %s", entries, user.ActionRestartChain)
			}

			// ctitui writes again, and the chain stays whole.
			if _, err := newService(s).Register(ctx, "carol@example.org", "correct horse battery staple", nil); err != nil {
				t.Fatalf("Register after the restart: %v", err)
			}
			if after := verifyChain(t, s); !after.OK() || after.HeadID != res.ID+1 {
				t.Errorf("after one more entry: %+v; want a whole chain ending at #%d", after, res.ID+1)
			}
			drep, err := s.Doctor(ctx, db.DoctorOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if f := findingOf(drep, "audit chain"); f.Severity != user.SeverityInfo || !strings.Contains(f.Message, "restarted") {
				t.Errorf("doctor's audit chain finding = %+v; want information naming the restart", f)
			}
		})
	}
}

// TestRestartAuditChainLeavesOldEntriesAsFound: the restart writes its own
// entry and nothing else into the log: the entries before it, broken ones
// included, are byte for byte what they were.
func TestRestartAuditChainLeavesOldEntriesAsFound(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
	writeChain(t, newService(s))
	raw := openRawSQLite(t, s.Path(), false)
	var headBefore string
	if err := raw.QueryRow(`SELECT hash FROM audit_log WHERE id = 6`).Scan(&headBefore); err != nil {
		t.Fatal(err)
	}
	exec(`UPDATE audit_log SET details = 'forged' WHERE id = 3`, `DELETE FROM audit_log WHERE id = 5`)(t, raw)
	before := auditDump(t, raw, 1<<62)
	res, err := s.RestartAuditChain(context.Background(), restartOpts("incident 7"))
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != 7 {
		t.Errorf("restart entry #%d; want #7, after the ids given", res.ID)
	}
	if after := auditDump(t, raw, res.ID); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("entries before the restart changed:\n got %q\nwant %q", after, before)
	}
	if n := queryInt(t, raw, `SELECT count(*) FROM audit_log`); n != int64(len(before)+1) {
		t.Errorf("%d entries; want %d: the old ones and the restart", n, len(before)+1)
	}
	// The restart records the break; it does not hide it from an anchor
	// noted before it.
	if err := s.CheckAuditAnchor(context.Background(), "6:"+headBefore); err == nil || !strings.Contains(err.Error(), "rewritten") {
		t.Errorf("CheckAuditAnchor of the head noted before the break = %v; want it to fail", err)
	}
}

// TestRestartedChainStillCatchesChanges: the restart seals the entries
// before it as they were; changing, removing or adding one afterwards
// breaks the chain again, at the restart, and the breaks it had recorded
// count again. Nor does an entry that merely calls itself a restart pass.
func TestRestartedChainStillCatchesChanges(t *testing.T) {
	const changed = "changed after it was written"
	tests := []struct {
		name     string
		tamper   func(t *testing.T, raw *sql.DB, original string)
		brokenAt int64
		problem  string
	}{
		{"an old broken entry changed again", execIgnoring(`UPDATE audit_log SET details = 'forged twice' WHERE id = 3`), 3, changed},
		{"an old good entry changed", execIgnoring(`UPDATE audit_log SET actor = 'someone' WHERE id = 5`), 3, changed},
		{"an old entry deleted", execIgnoring(`DELETE FROM audit_log WHERE id = 4`), 3, changed},
		{"the broken entry put back", func(t *testing.T, raw *sql.DB, original string) {
			if _, err := raw.Exec(`UPDATE audit_log SET details = ? WHERE id = 3`, original); err != nil {
				t.Fatal(err)
			}
		}, 7, "the entries before it were changed"},
		{"an entry inserted before the restart", execIgnoring(`INSERT INTO audit_log (id, at, actor, action, user_email, details, prev_hash, hash)
			SELECT 6, at, actor, action, user_email, details, prev_hash, hash FROM audit_log WHERE id = 5`), 3, changed},
		{"the restart's details changed", execIgnoring(`UPDATE audit_log SET details = 'nothing happened' WHERE id = 7`), 3, changed},
		{"a forged restart in the middle", execIgnoring(`UPDATE audit_log SET action = 'restart-audit-chain' WHERE id = 4`), 3, changed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
			writeChain(t, newService(s))
			raw := openRawSQLite(t, s.Path(), false)
			var original string
			if err := raw.QueryRow(`SELECT details FROM audit_log WHERE id = 3`).Scan(&original); err != nil {
				t.Fatal(err)
			}
			exec(`UPDATE audit_log SET details = 'forged' WHERE id = 3`, `DELETE FROM audit_log WHERE id = 6`)(t, raw)
			res, err := s.RestartAuditChain(context.Background(), restartOpts("incident 9"))
			if err != nil {
				t.Fatal(err)
			}
			if rep := verifyChain(t, s); res.ID != 7 || !rep.OK() {
				t.Fatalf("restart entry #%d, chain %+v; want #7 and a whole chain", res.ID, rep)
			}
			tt.tamper(t, raw, original)
			rep := verifyChain(t, s)
			if rep.OK() || rep.BrokenAt != tt.brokenAt || !strings.Contains(rep.Problem, tt.problem) {
				t.Errorf("report = %+v; want broken at #%d: %q", rep, tt.brokenAt, tt.problem)
			}
			if len(rep.Restarts) != 0 {
				t.Errorf("restarts = %+v; want none accepted once the entries it sealed changed", rep.Restarts)
			}
		})
	}
}

// execIgnoring is exec for tamper functions that are also handed the
// original details of entry 3, which they do not need.
func execIgnoring(stmts ...string) func(t *testing.T, raw *sql.DB, _ string) {
	return func(t *testing.T, raw *sql.DB, _ string) { exec(stmts...)(t, raw) }
}

// TestRestartAuditChainRefuses: a whole chain is not restarted, nor one
// without a reason or with one that is not a line of text, nor a log
// whose ids cannot go on; each refusal leaves the file byte for byte.
func TestRestartAuditChainRefuses(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, raw *sql.DB)
		reason string
		want   error  // errors.Is, or nil to match text
		text   string // in the error
	}{
		{"a whole chain", nil, "just because", db.ErrChainWhole, ""},
		{"no reason", exec(`DELETE FROM audit_log WHERE id = 3`), "", db.ErrRestartReason, ""},
		{"a blank reason", exec(`DELETE FROM audit_log WHERE id = 3`), " \t ", db.ErrRestartReason, ""},
		{"a reason of two lines", exec(`DELETE FROM audit_log WHERE id = 3`), "one\ntwo", db.ErrRestartReason, ""},
		{"a reason with an escape", exec(`DELETE FROM audit_log WHERE id = 3`), "x\x1b[2Jy", db.ErrRestartReason, ""},
		{"a reason too long", exec(`DELETE FROM audit_log WHERE id = 3`), strings.Repeat("x", 1001), db.ErrRestartReason, ""},
		{"ids at the end", exec(`UPDATE audit_log SET id = 9223372036854775807 WHERE id = 6`), "incident", nil, "largest"},
		{"a head one below the end", exec(`DELETE FROM audit_log WHERE id = 3`, `UPDATE audit_head SET last_id = 9223372036854775806`), "incident", nil, "largest"},
		{"a counter one below the end", exec(`DELETE FROM audit_log WHERE id = 3`, `UPDATE sqlite_sequence SET seq = 9223372036854775806 WHERE name = 'audit_log'`), "incident", nil, "largest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ctitui.db")
			s := openStore(t, path, db.Options{})
			writeChain(t, newService(s))
			if tt.tamper != nil {
				raw := openRawSQLite(t, path, false)
				tt.tamper(t, raw)
				raw.Close()
			}
			before := fileSHA256(t, path)
			_, err := s.RestartAuditChain(context.Background(), restartOpts(tt.reason))
			switch {
			case err == nil:
				t.Fatalf("RestartAuditChain = nil; want a refusal")
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("RestartAuditChain = %v; want %v", err, tt.want)
			case tt.want == nil && !strings.Contains(err.Error(), tt.text):
				t.Errorf("RestartAuditChain = %v; want it to say %q", err, tt.text)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
			if after := fileSHA256(t, path); after != before {
				t.Errorf("the file changed although the restart was refused")
			}
			if n := len(bakFilesIn(t, filepath.Dir(path))); n != 0 {
				t.Errorf("%d backups written for a refused restart; want none", n)
			}
		})
	}
}

// TestRestartAuditChainTwice: a second break after a restart can be
// restarted in turn; the report lists both restarts.
func TestRestartAuditChainTwice(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
	writeChain(t, newService(s))
	raw := openRawSQLite(t, s.Path(), false)
	exec(`DELETE FROM audit_log WHERE id = 2`)(t, raw)
	first, err := s.RestartAuditChain(ctx, restartOpts("first"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newService(s).Register(ctx, "carol@example.org", "correct horse battery staple", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE audit_log SET details = 'x' WHERE id = ?`, first.ID+1); err != nil {
		t.Fatal(err)
	}
	if rep := verifyChain(t, s); rep.OK() || rep.BrokenAt != first.ID+1 {
		t.Fatalf("after the second break: %+v; want broken at #%d", rep, first.ID+1)
	}
	opts := restartOpts("second")
	opts.Now = opts.Now.Add(time.Hour)
	second, err := s.RestartAuditChain(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	rep := verifyChain(t, s)
	if !rep.OK() || len(rep.Restarts) != 2 || rep.Restarts[0].ID != first.ID || rep.Restarts[1].ID != second.ID {
		t.Errorf("report = %+v; want a whole chain with restarts #%d and #%d", rep, first.ID, second.ID)
	}
}

// forgeRestart appends, as someone with write access and the public
// format could, a restart entry sealing the log as it now is, and points
// the head record at it.
func forgeRestart(t *testing.T, raw *sql.DB, at, actor, details string) {
	t.Helper()
	rows, err := raw.Query(`SELECT id, at, actor, action, user_id, user_email, details, prev_hash, hash FROM audit_log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s\n", len(s), s) }
	null := func(s sql.NullString) {
		if !s.Valid {
			fmt.Fprint(h, "-1:\n")
			return
		}
		field(s.String)
	}
	field("ctitui-audit-segment-v1")
	var last int64
	for rows.Next() {
		var (
			id                                int64
			at, actor, action, email, details string
			userID, prevHash, hash            sql.NullString
		)
		if err := rows.Scan(&id, &at, &actor, &action, &userID, &email, &details, &prevHash, &hash); err != nil {
			t.Fatal(err)
		}
		field(fmt.Sprint(id))
		field(chainHash(prevHash.String, id, at, actor, action, userID, email, details))
		null(prevHash)
		null(hash)
		last = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	seal := hex.EncodeToString(h.Sum(nil))
	id := last + 1
	sum := chainHash(seal, id, at, actor, "restart-audit-chain", sql.NullString{}, "", details)
	if _, err := raw.Exec(`INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details, prev_hash, hash) VALUES (?, ?, ?, 'restart-audit-chain', NULL, '', ?, ?, ?)`,
		id, at, actor, details, seal, sum); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE audit_head SET last_id = ?, last_hash = ?`, id, sum); err != nil {
		t.Fatal(err)
	}
}

// TestAnchorCatchesAForgedRestart: anyone who can write the file can seal
// a changed log under a restart entry of their own, as they could
// recompute the chain; an anchor noted before, on a restart or on any
// entry, then fails, because the entries before it no longer verify up to
// it. The forged restart cannot hide that there is more than one.
func TestAnchorCatchesAForgedRestart(t *testing.T) {
	ctx := context.Background()
	for _, anchorOn := range []string{"the restart", "an entry after it"} {
		t.Run(anchorOn, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
			writeChain(t, newService(s))
			raw := openRawSQLite(t, s.Path(), false)
			exec(`UPDATE audit_log SET details = 'forged' WHERE id = 2`)(t, raw)
			res, err := s.RestartAuditChain(ctx, restartOpts("incident 1"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := newService(s).Register(ctx, "carol@example.org", "correct horse battery staple", nil); err != nil {
				t.Fatal(err)
			}
			id := res.ID
			if anchorOn == "an entry after it" {
				id++
			}
			var hash string
			if err := raw.QueryRow(`SELECT hash FROM audit_log WHERE id = ?`, id).Scan(&hash); err != nil {
				t.Fatal(err)
			}
			anchor := fmt.Sprintf("%d:%s", id, hash)
			if err := s.CheckAuditAnchor(ctx, anchor); err != nil {
				t.Fatalf("CheckAuditAnchor(%s) before the forgery = %v; want it to hold", anchorOn, err)
			}

			exec(`UPDATE audit_log SET details = 'roles=admin' WHERE id = 4`)(t, raw)
			forgeRestart(t, raw, "2026-12-03T12:00:00.000Z", "tester", "reason: incident 1")
			rep := verifyChain(t, s)
			if !rep.OK() {
				t.Fatalf("after the forgery: %+v; want it to verify (the documented limit: only an anchor catches it)", rep)
			}
			if rep.RestartEntries != 2 || !strings.Contains(rep.String(), "2 restart entries") {
				t.Errorf("report = %+v, %q; want both restart entries counted and named", rep, rep.String())
			}
			err = s.CheckAuditAnchor(ctx, anchor)
			if err == nil || !strings.Contains(err.Error(), "rewritten") {
				t.Errorf("CheckAuditAnchor(%s) after the forgery = %v; want it to fail: the log before it was rewritten", anchorOn, err)
			}
		})
	}
}

// TestRestartAfterAnIDCounterThatIsNotANumber: a counter set to text is
// reported in one line, writes stay refused, and a restart recovers.
func TestRestartAfterAnIDCounterThatIsNotANumber(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
	writeChain(t, newService(s))
	raw := openRawSQLite(t, s.Path(), false)
	exec(`UPDATE sqlite_sequence SET seq = 'abc' WHERE name = 'audit_log'`)(t, raw)
	rep := verifyChain(t, s)
	if rep.OK() || !strings.Contains(rep.EndProblem, "id counter") || !strings.Contains(rep.EndProblem, `"abc"`) {
		t.Fatalf("report = %+v; want the counter named as not a number", rep)
	}
	_, err := newService(s).Register(ctx, "carol@example.org", "correct horse battery staple", nil)
	if err == nil || !strings.Contains(err.Error(), "id counter") || strings.Contains(err.Error(), "Scan error") {
		t.Errorf("Register = %v; want a one-line refusal naming the id counter", err)
	}
	res, err := s.RestartAuditChain(ctx, restartOpts("incident 3"))
	if err != nil {
		t.Fatalf("RestartAuditChain: %v", err)
	}
	if after := verifyChain(t, s); !after.OK() {
		t.Errorf("after the restart: %+v; want a whole chain", after)
	}
	if seq := queryInt(t, raw, `SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'`); seq != res.ID {
		t.Errorf("id counter = %d; want %d, the restart entry", seq, res.ID)
	}
	if _, err := newService(s).Register(ctx, "carol@example.org", "correct horse battery staple", nil); err != nil {
		t.Errorf("Register after the restart: %v", err)
	}
}
