package sqlite_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/user"
)

// quickOptions are doctor's defaults: a quick look, no repairs.
func quickOptions() db.DoctorOptions { return db.DoctorOptions{Now: docNow, Actor: "tester"} }

// quickDoctor runs a quick, read-only doctor on the database at path.
func quickDoctor(t *testing.T, path string) db.DoctorReport {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.OpenReadOnly(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := s.Doctor(ctx, quickOptions())
	if err != nil {
		t.Fatalf("Doctor(quick) = %v; want a report", err)
	}
	return rep
}

// TestDoctorQuickSaysWhatItLeftOut: a quick look that finds nothing wrong
// must not pass for a full one: the report says it is quick, names the
// checks it left out, and its integrity finding names SQLite's quick check.
func TestDoctorQuickSaysWhatItLeftOut(t *testing.T) {
	path := docDB(t)
	rep := quickDoctor(t, path)
	_, all := docFindings(rep, "")
	if !rep.Healthy() {
		t.Fatalf("quick look at a healthy database:%s\nwant healthy", all)
	}
	if rep.Full {
		t.Errorf("quick look: Full = true; want false")
	}
	if want := []string{"integrity in full (index entries against their rows)", "emails", "role names", "user values"}; !slices.Equal(rep.Skipped, want) {
		t.Errorf("quick look: Skipped = %q; want %q", rep.Skipped, want)
	}
	for _, check := range rep.Skipped {
		if found, _ := docFindings(rep, check); len(found) > 0 {
			t.Errorf("quick look reports %q, which it says it skipped:%s", check, all)
		}
	}
	if f := findingOf(rep, "integrity"); !strings.Contains(f.Message, "quick check") {
		t.Errorf("quick look: integrity finding %q; want it to say it was SQLite's quick check", f.Message)
	}

	ctx := context.Background()
	s, err := sqlite.OpenReadOnly(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ran []string
	opts := quickOptions()
	opts.Full = true
	opts.Progress = func(check string) { ran = append(ran, check) }
	full, err := s.Doctor(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !full.Full || len(full.Skipped) > 0 {
		t.Errorf("full look: Full = %v, Skipped = %q; want true and none", full.Full, full.Skipped)
	}
	if f := findingOf(full, "integrity"); f.Message != "SQLite integrity check: ok" {
		t.Errorf("full look: integrity finding %q; want SQLite's integrity check", f.Message)
	}
	for _, check := range []string{"integrity", "emails", "search index", "user values", "audit chain"} {
		if !slices.Contains(ran, check) {
			t.Errorf("full look: Progress heard %q; want %q among them", ran, check)
		}
	}
}

// TestDoctorQuickFindsDamage: quick_check, table by table, still reads
// every b-tree, of a table or of an index.
func TestDoctorQuickFindsDamage(t *testing.T) {
	for _, table := range []bool{true, false} {
		path := damagedDB(t, table)
		rep := quickDoctor(t, path)
		found, all := docFindings(rep, "integrity")
		if rep.Healthy() || len(found) == 0 || found[0].Severity != user.SeverityProblem || !strings.Contains(found[0].Message, "quick check") {
			t.Errorf("quick look at a damaged %s (table %v):%s\nwant an integrity problem from the quick check", path, table, all)
		}
	}
}

// TestDoctorQuickTableNames: quick_check takes a table's name as an SQL
// string, and a file's tables are named by whoever made it.
func TestDoctorQuickTableNames(t *testing.T) {
	path := docDB(t)
	writeSQLite(t, path, `CREATE TABLE "it's"" here" (x)`, `INSERT INTO "it's"" here" VALUES (1)`)
	rep := quickDoctor(t, path)
	if f := findingOf(rep, "integrity"); f.Severity != user.SeverityOK {
		_, all := docFindings(rep, "")
		t.Errorf("quick look with a table named it's\" here:%s\nwant integrity ok", all)
	}
}

// TestDoctorQuickSearchIndexCount: the quick look counts the search index;
// a missing entry shows, and the repair it offers is the rebuild.
func TestDoctorQuickSearchIndexCount(t *testing.T) {
	path := docDB(t)
	writeSQLite(t, path, `INSERT INTO users_email_search (users_email_search, rowid, email_normalized)
		SELECT 'delete', rowid, email_normalized FROM users WHERE email_normalized = 'bo@example.org'`)
	rep := quickDoctor(t, path)
	f := findingOf(rep, "search index")
	if f.Severity != user.SeverityProblem || !strings.Contains(f.Message, "3 users, 2 entries") || !strings.Contains(f.Repair, "rebuild") {
		_, all := docFindings(rep, "")
		t.Errorf("quick look with a user missing from the search index:%s\nwant a search index problem counting 3 users, 2 entries", all)
	}
}

// TestDoctorFixLooksInFull: a stale normalised email is invisible to a
// quick look, and --fix without --full must still find it and repair it.
func TestDoctorFixLooksInFull(t *testing.T) {
	path := docDB(t)
	writeSQLite(t, path, `UPDATE users SET email_normalized = 'stale@example.org' WHERE email = 'bo@example.org'`)
	if rep := quickDoctor(t, path); !rep.Healthy() {
		_, all := docFindings(rep, "")
		t.Fatalf("quick look:%s\nwant healthy: it does not recompute the emails", all)
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	opts := quickOptions()
	opts.Fix = true
	rep, err := s.Doctor(ctx, opts)
	if err != nil {
		t.Fatalf("Doctor(Fix) = %v", err)
	}
	_, all := docFindings(rep, "")
	if !rep.Full || !slices.ContainsFunc(rep.Repairs, func(r string) bool { return strings.Contains(r, "email_normalized") }) || !rep.Healthy() {
		t.Errorf("Doctor(Fix) without Full: Full %v, repairs %q:%s\nwant a full look that recomputed email_normalized", rep.Full, rep.Repairs, all)
	}
}
