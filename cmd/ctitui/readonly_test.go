package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/password/passwordtest"
)

// nobody is the unprivileged user the read-only tests run ctitui as.
const nobodyID = 65534

// binaryFor copies this test binary, which runs as ctitui when it is named
// so (see TestMain), to a directory any user may read, and returns its path.
func binaryFor(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctitui-bin")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	bin := filepath.Join(dir, "ctitui")
	out, err := os.OpenFile(bin, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestReadOnlyCommandsLeaveEvidenceUntouched: a copy of a database kept as
// evidence, on media its reader cannot write, can be listed, shown, audited
// and checked, and stays byte for byte as it was, with no file appearing
// beside it.
func TestReadOnlyCommandsLeaveEvidenceUntouched(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run ctitui as another user who cannot write the evidence")
	}
	work := t.TempDir()
	live := filepath.Join(work, "live.db")
	run := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := runWith(t.Context(), append([]string{"--db", live}, args...), strings.NewReader("correct horse battery staple\n"), &stdout, &stderr, passwordtest.Params)
		if code != 0 {
			t.Fatalf("ctitui %q exited %d: %s", args, code, stderr.String())
		}
		return stdout.String()
	}
	run("user", "add", "--email", "ana@example.org", "--role", "admin", "--password-stdin")
	run("user", "add", "--email", "bo@example.org", "--password-stdin")

	// Outside t.TempDir, whose parent only root may enter.
	media, err := os.MkdirTemp("", "ctitui-media")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(media) })
	if err := os.Chmod(media, 0o755); err != nil {
		t.Fatal(err)
	}
	evidence := filepath.Join(media, "evidence")
	if err := os.Mkdir(evidence, 0o700); err != nil {
		t.Fatal(err)
	}
	copy := filepath.Join(evidence, "case-42.db")
	b, err := os.ReadFile(live)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copy, b, 0o400); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{copy, evidence} {
		if err := os.Chown(p, nobodyID, nobodyID); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(evidence, 0o500); err != nil {
		t.Fatal(err)
	}
	before := fileSHA256(t, copy)
	bin := binaryFor(t)
	for _, args := range [][]string{
		{"user", "list"},
		{"user", "list", "--format", "json"},
		{"user", "show", "ana@example.org"},
		{"audit", "list"},
		{"audit", "verify"},
		{"doctor"},
	} {
		cmd := exec.Command(bin, append([]string{"--db", copy}, args...)...)
		cmd.Env = []string{"HOME=" + evidence, "PATH=/usr/bin:/bin", "TZ=UTC"}
		runAs(t, cmd, nobodyID)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("ctitui %q as nobody on a read-only copy: %v\n%s", args, err, out)
		}
		if got := fileSHA256(t, copy); got != before {
			t.Fatalf("ctitui %q changed the evidence copy", args)
		}
		if got := dirNames(t, evidence); !slices.Equal(got, []string{"case-42.db"}) {
			t.Fatalf("after ctitui %q the evidence directory holds %q; want the copy alone", args, got)
		}
	}
}

// TestReadOnlyCommandsChangeNoWritableFile: on a file its reader could
// write, the commands that only read leave it byte for byte as it was, and
// tidy away the -wal and -shm files SQLite makes for a read-only look.
func TestReadOnlyCommandsChangeNoWritableFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	run := func(args ...string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := runWith(t.Context(), append([]string{"--db", path}, args...), strings.NewReader("correct horse battery staple\n"), &stdout, &stderr, passwordtest.Params); code != 0 {
			t.Fatalf("ctitui %q exited %d: %s", args, code, stderr.String())
		}
	}
	run("user", "add", "--email", "ana@example.org", "--password-stdin")
	before := fileSHA256(t, path)
	for _, args := range [][]string{{"user", "list"}, {"user", "show", "ana@example.org"}, {"audit", "list"}, {"audit", "verify"}, {"doctor"}} {
		run(args...)
		if fileSHA256(t, path) != before {
			t.Fatalf("ctitui %q changed the database", args)
		}
		if got := dirNames(t, dir); !slices.Equal(got, []string{"ctitui.db", "ctitui.db.lock"}) {
			t.Fatalf("after ctitui %q the directory holds %q; want the database (and its lock) alone", args, got)
		}
	}
}

// TestAuditActorWithoutAPasswdEntry: a uid with no passwd entry cannot be
// named by the system, and $USER is whatever the caller set: the audit
// entry records the uid, which the caller cannot choose, and says where the
// name came from.
func TestAuditActorWithoutAPasswdEntry(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run ctitui as a uid without a passwd entry")
	}
	const uid = 42424
	media, err := os.MkdirTemp("", "ctitui-uid")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(media) })
	if err := os.Chmod(media, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(media, "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, uid); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ctitui.db")
	cmd := exec.Command(binaryFor(t), "--db", path, "user", "add", "--email", "ana@example.org", "--password-stdin")
	cmd.Env = []string{"HOME=" + dir, "USER=root", "LOGNAME=root", "PATH=/usr/bin:/bin"}
	cmd.Stdin = strings.NewReader("correct horse battery staple\n")
	runAs(t, cmd, uid)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ctitui user add as uid %d: %v\n%s", uid, err, out)
	}
	var stdout, stderr bytes.Buffer
	if code := runWith(t.Context(), []string{"--db", path, "audit", "list", "--format", "csv"}, nil, &stdout, &stderr, passwordtest.Params); code != 0 {
		t.Fatalf("audit list: %s", stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("audit list = %q; want one entry", lines)
	}
	actor := strings.Split(lines[1], ",")[2]
	if !strings.Contains(actor, "uid 42424") || actor == "root" {
		t.Errorf("actor = %q; want the uid recorded (42424), not just the $USER it claimed", actor)
	}
}
