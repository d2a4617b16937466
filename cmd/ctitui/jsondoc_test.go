package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// docTable is one table of keys in docs/json.md: each key with its
// documented type.
type docTable map[string]string

// docSections reads docs/json.md: for each "## Section", its tables of keys,
// in order.
func docSections(t *testing.T) map[string][]docTable {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "json.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\| ([^|]+) \\|")
	sections := map[string][]docTable{}
	section := ""
	var table docTable
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "## "); ok {
			section = name
		}
		m := row.FindStringSubmatch(line)
		switch {
		case m != nil && table == nil:
			table = docTable{m[1]: strings.TrimSpace(m[2])}
			sections[section] = append(sections[section], table)
		case m != nil:
			table[m[1]] = strings.TrimSpace(m[2])
		case !strings.HasPrefix(line, "|"):
			table = nil
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sections
}

// checkShape fails unless obj has exactly the keys of table, each of its
// documented type.
func checkShape(t *testing.T, what string, obj map[string]any, table docTable) {
	t.Helper()
	var got, want []string
	for k := range obj {
		got = append(got, k)
	}
	for k := range table {
		want = append(want, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s has keys %q; docs/json.md documents %q", what, got, want)
		return
	}
	for k, v := range obj {
		if !typeMatches(table[k], v) {
			t.Errorf("%s: %q is %T %v; docs/json.md says %s", what, k, v, v, table[k])
		}
	}
}

// typeMatches reports whether v, as encoding/json decodes it into any, is
// of the documented type doc.
func typeMatches(doc string, v any) bool {
	if v == nil {
		return strings.HasSuffix(doc, " or null")
	}
	base := strings.TrimSuffix(doc, " or null")
	switch x := v.(type) {
	case string:
		switch base {
		case "time":
			_, err := time.Parse("2006-01-02T15:04:05.000Z", x)
			return err == nil && len(x) == 24
		case "string", "id", "email":
			return true
		}
	case float64:
		return base == "integer" && x == float64(int64(x))
	case bool:
		return base == "boolean"
	case []any:
		return strings.HasPrefix(base, "array")
	case map[string]any:
		return base == "object"
	}
	return false
}

// runJSON runs ctitui and decodes its stdout, which must be JSON, into v;
// wantCode is the exit code expected.
func runJSON(t *testing.T, path string, wantCode int, v any, args ...string) {
	t.Helper()
	runJSONWith(t, path, "", wantCode, v, args...)
}

// runJSONIn is runJSON of a command that succeeds, with stdin.
func runJSONIn(t *testing.T, path, stdin string, v any, args ...string) {
	t.Helper()
	runJSONWith(t, path, stdin, exitOK, v, args...)
}

func runJSONWith(t *testing.T, path, stdin string, wantCode int, v any, args ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := runIn(t, path, strings.NewReader(stdin), &stdout, &stderr, args...); code != wantCode {
		t.Fatalf("%q: exit %d; want %d (%s)", args, code, wantCode, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), v); err != nil {
		t.Fatalf("%q: stdout is not JSON: %v\n%s", args, err, stdout.String())
	}
}

// Every object ctitui prints as JSON has exactly the keys docs/json.md
// documents for it, each of the type it documents: the doc is the shape
// scripts rely on.
func TestJSONShapesMatchTheDocs(t *testing.T) {
	docs := docSections(t)
	table := func(section string, i int) docTable {
		t.Helper()
		if len(docs[section]) <= i {
			t.Fatalf("docs/json.md: section %q has no table %d", section, i+1)
		}
		return docs[section][i]
	}
	path := filepath.Join(t.TempDir(), "ctitui.db")

	// user add, with the generated password: the user's keys and one more.
	var added map[string]any
	runJSON(t, path, exitOK, &added, "user", "add", "--email", "alice@example.org", "--role", "admin", "--generate-password", "--format", "json")
	withPassword := docTable{}
	for k, v := range table("User", 0) {
		withPassword[k] = v
	}
	for k, v := range table("User", 1) {
		withPassword[k] = v
	}
	checkShape(t, "user add --generate-password", added, withPassword)
	var plain map[string]any // a new map: Unmarshal into the old one would keep its keys
	runJSONIn(t, path, "correct horse battery staple\n", &plain, "user", "add", "--email", "bob@example.org", "--password-stdin", "--format", "json")
	checkShape(t, "user add", plain, table("User", 0))
	var list []map[string]any
	if code := runIn(t, path, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, "user", "disable", "bob@example.org"); code != exitOK {
		t.Fatal("user disable failed")
	}
	runJSON(t, path, exitOK, &list, "user", "list", "--format", "json")
	for _, u := range list {
		checkShape(t, "user list", u, table("User", 0))
	}
	var shown map[string]any
	runJSON(t, path, exitOK, &shown, "user", "show", "bob@example.org", "--format", "json")
	checkShape(t, "user show", shown, table("User", 0))

	// export, with and without hashes.
	for _, hashes := range []bool{false, true} {
		args := []string{"user", "export", "--format", "jsonl"}
		want := docTable{}
		for k, v := range table("User record", 0) {
			want[k] = v
		}
		if hashes {
			args = append(args, "--include-hashes")
			for k, v := range table("User record", 1) {
				want[k] = v
			}
		}
		var stdout bytes.Buffer
		if code := runIn(t, path, strings.NewReader(""), &stdout, &bytes.Buffer{}, args...); code != exitOK {
			t.Fatalf("%q failed", args)
		}
		for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("%q: %v", args, err)
			}
			checkShape(t, strings.Join(args, " "), rec, want)
		}
	}

	var entries []map[string]any
	runJSON(t, path, exitOK, &entries, "audit", "list", "--format", "json")
	if len(entries) == 0 {
		t.Fatal("audit list printed no entries")
	}
	for _, e := range entries {
		checkShape(t, "audit list", e, table("Audit entry", 0))
	}

	var chain map[string]any
	runJSON(t, path, exitOK, &chain, "audit", "verify", "--format", "json")
	checkShape(t, "audit verify", chain, table("Audit chain", 0))
	var anchored map[string]any
	runJSON(t, path, exitFail, &anchored, "audit", "verify", "--format", "json", "--anchor", "1:"+strings.Repeat("0", 64))
	checkShape(t, "audit verify --anchor", anchored, table("Audit chain", 0))
	anchor, _ := anchored["anchor"].(map[string]any)
	checkShape(t, "audit verify's anchor", anchor, table("Audit chain", 1))

	var doctor map[string]any
	runJSON(t, path, exitOK, &doctor, "doctor", "--format", "json")
	checkShape(t, "doctor", doctor, table("Doctor report", 0))
	findings, _ := doctor["findings"].([]any)
	if len(findings) == 0 {
		t.Fatal("doctor printed no findings")
	}
	for _, f := range findings {
		finding, _ := f.(map[string]any)
		checkShape(t, "doctor finding", finding, table("Doctor report", 1))
	}

	var settings map[string]any
	runJSON(t, path, exitOK, &settings, "settings", "--format", "json")
	checkShape(t, "settings", settings, table("Settings", 0))

	var status map[string]any
	runJSON(t, path, exitOK, &status, "migrate", "status", "--format", "json")
	checkShape(t, "migrate status", status, table("Migration status", 0))
	migrations, _ := status["migrations"].([]any)
	if len(migrations) == 0 {
		t.Fatal("migrate status printed no migrations")
	}
	for _, m := range migrations {
		migration, _ := m.(map[string]any)
		checkShape(t, "migration", migration, table("Migration status", 1))
	}
}

// An empty log: the chain's head is null, as documented.
func TestJSONOfAnEmptyAuditChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	if code := runIn(t, path, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, "migrate", "up"); code != exitOK {
		t.Fatal("migrate up failed")
	}
	var chain map[string]any
	runJSON(t, path, exitOK, &chain, "audit", "verify", "--format", "json")
	checkShape(t, "audit verify of an empty log", chain, docSections(t)["Audit chain"][0])
	if chain["head_id"] != nil || chain["head_hash"] != "" || chain["entries"] != float64(0) {
		t.Errorf("audit verify of an empty log = %v; want head_id null, head_hash \"\", 0 entries", chain)
	}
}
