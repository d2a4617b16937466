package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/user"
)

// fakeACLs answers checkAccessLists as a Windows machine would, from lists
// the test gives; makePrivate makes a file's list private, as Windows'
// would, and records the call.
type fakeACLs struct {
	noACLs  bool
	fsErr   error
	meErr   error
	lists   map[string]accessList // by path; missing: private
	owners  map[string]string
	readErr map[string]error
	made    []string // "path" or "path/" for a folder
}

var (
	privateList = accessList{entries: []accessEntry{
		{aceAllowed, inherited, fullControl, sidSystem},
		{aceAllowed, inherited, fullControl, sidAdministrators},
		{aceAllowed, inherited, fullControl, sidAna},
	}}
	// What C:\data and the files in it inherit from C:\.
	rootOfC = accessList{entries: []accessEntry{
		{aceAllowed, inherited | aceObjectInherit | 0x02, fullControl, sidAdministrators},
		{aceAllowed, inherited | aceObjectInherit | 0x02, fullControl, sidSystem},
		{aceAllowed, inherited | aceObjectInherit | 0x02, readExecute, sidUsers},
		{aceAllowed, inherited | aceObjectInherit | 0x02 | aceInheritOnly, genericWrite | genericRead | genericExecute | rightDelete, sidAuthUsr},
	}}
	fileInRootOfC = accessList{entries: []accessEntry{
		{aceAllowed, inherited, fullControl, sidAdministrators},
		{aceAllowed, inherited, fullControl, sidSystem},
		{aceAllowed, inherited, readExecute, sidUsers},
		{aceAllowed, inherited, modify, sidAuthUsr},
	}}
)

func (f *fakeACLs) system() aclSystem {
	return aclSystem{
		keepsACLs: func(string) (bool, string, error) {
			return !f.noACLs, map[bool]string{false: "NTFS", true: "exFAT"}[f.noACLs], f.fsErr
		},
		me: func() (string, error) { return sidAna, f.meErr },
		read: func(name string) (accessList, string, error) {
			if err := f.readErr[name]; err != nil {
				return accessList{}, "", err
			}
			if target, err := filepath.EvalSymlinks(name); err == nil {
				name = target
			}
			l, ok := f.lists[name]
			if !ok {
				l = privateList
			}
			owner, ok := f.owners[name]
			if !ok {
				owner = sidAna
			}
			return l, owner, nil
		},
		name: func(sid string) string {
			if n, ok := wellKnownNames[sid]; ok {
				return n
			}
			return `PC\` + sid
		},
		makePrivate: func(name string, folder bool) error {
			if folder {
				f.made = append(f.made, name+"/")
			} else {
				f.made = append(f.made, name)
			}
			delete(f.lists, name)
			return nil
		},
	}
}

// touch creates each file, empty.
func touch(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(n, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// summary lists findings as "severity: message [repair]" for errors.
func summary(fs []finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n  " + f.Severity.String() + ": " + f.Message)
		if f.Repair != "" {
			b.WriteString(" [" + f.Repair + "]")
		}
	}
	return b.String()
}

// TestCheckAccessLists: on Windows doctor judges the access lists, with
// the same rules as the modes elsewhere, and --fix clears what it reports
// about files and ctitui's own folder.
func TestCheckAccessLists(t *testing.T) {
	t.Run("private files in a private folder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ctitui")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "ctitui.db")
		touch(t, path, path+"-wal", path+"-shm", path+".lock", path+".pre-migrate-20260101T000000.000Z.bak")
		f := &fakeACLs{}
		got := checkAccessLists(path, f.system())
		if len(got) != 1 || got[0].Severity != user.SeverityOK {
			t.Errorf("findings:%s\nwant one OK", summary(got))
		}
	})

	t.Run("a database in a folder at the root of C:", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "ctitui.db")
		bak := path + ".20260101T000000.000Z.bak"
		touch(t, path, path+"-wal", bak)
		f := &fakeACLs{lists: map[string]accessList{dir: rootOfC, path: fileInRootOfC, path + "-wal": fileInRootOfC, bak: fileInRootOfC}}
		got := checkAccessLists(path, f.system())
		if len(got) != 4 {
			t.Fatalf("findings:%s\nwant a problem for each of the 3 files and a note on the folder", summary(got))
		}
		for i, name := range []string{path, path + "-wal", bak} {
			want := name + " lets others in: Users may read, Authenticated Users may read and change"
			if got[i].Severity != user.SeverityProblem || got[i].Message != want || got[i].fs == nil {
				t.Errorf("finding %d:%s\nwant a problem %q that --fix repairs", i, summary(got[i:i+1]), want)
			}
		}
		// Not ctitui's own folder: described, left alone.
		if d := got[3]; d.Severity != user.SeverityInfo || d.fs != nil ||
			!strings.Contains(d.Message, "on the folder, Users may read") ||
			!strings.Contains(d.Message, "on the files created in it, as ctitui's -wal, -shm and backups are, Users may read, Authenticated Users may read and change") {
			t.Errorf("folder finding:%s\nwant a note naming who may list it and who gets the files made in it", summary(got[3:]))
		}
		for _, fd := range got {
			if fd.fs != nil {
				if err := fd.fs(); err != nil {
					t.Fatal(err)
				}
			}
		}
		if want := []string{path, path + "-wal", bak}; !slices.Equal(f.made, want) {
			t.Errorf("made private: %q; want %q", f.made, want)
		}
		after := checkAccessLists(path, f.system())
		if len(after) != 1 || after[0].Severity != user.SeverityInfo {
			t.Errorf("after the repairs:%s\nwant only the note on the folder", summary(after))
		}
	})

	t.Run("ctitui's own folder is tightened", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ctitui")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "ctitui.db")
		touch(t, path)
		f := &fakeACLs{lists: map[string]accessList{dir: rootOfC}}
		got := checkAccessLists(path, f.system())
		if len(got) != 1 || got[0].Severity != user.SeverityProblem || got[0].fs == nil || !strings.Contains(got[0].Repair, "which the files created in it inherit") {
			t.Fatalf("findings:%s\nwant one problem with the folder that --fix repairs", summary(got))
		}
		if err := got[0].fs(); err != nil {
			t.Fatal(err)
		}
		if want := []string{dir + "/"}; !slices.Equal(f.made, want) {
			t.Errorf("made private: %q; want %q (as a folder)", f.made, want)
		}
		if after := checkAccessLists(path, f.system()); len(after) != 1 || after[0].Severity != user.SeverityOK {
			t.Errorf("after the repair:%s\nwant OK", summary(after))
		}
	})

	t.Run("what is not a file is not judged as one", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ctitui.db")
		touch(t, path)
		if err := os.Mkdir(path+".lock", 0o700); err != nil {
			t.Fatal(err)
		}
		f := &fakeACLs{lists: map[string]accessList{path + ".lock": {null: true}}}
		if got := checkAccessLists(path, f.system()); len(got) != 1 || got[0].Severity != user.SeverityOK {
			t.Errorf("findings:%s\nwant OK: the mode check skips what is not a regular file too", summary(got))
		}
	})

	t.Run("no access list lets everyone in", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ctitui.db")
		touch(t, path)
		f := &fakeACLs{lists: map[string]accessList{path: {null: true}}}
		got := checkAccessLists(path, f.system())
		if len(got) != 1 || got[0].Message != path+" lets others in: Everyone may read and change" {
			t.Errorf("findings:%s\nwant Everyone reported", summary(got))
		}
	})

	t.Run("the owner and SYSTEM are not others", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ctitui.db")
		touch(t, path)
		f := &fakeACLs{
			lists:  map[string]accessList{path: {entries: []accessEntry{{aceAllowed, 0, fullControl, sidBen}, {aceAllowed, 0, fullControl, sidSystem}}}},
			owners: map[string]string{path: sidBen},
		}
		if got := checkAccessLists(path, f.system()); len(got) != 1 || got[0].Severity != user.SeverityOK {
			t.Errorf("findings:%s\nwant OK: ben owns the file", summary(got))
		}
	})

	t.Run("links", func(t *testing.T) {
		dir := t.TempDir()
		real, path := filepath.Join(dir, "real.db"), filepath.Join(dir, "ctitui.db")
		touch(t, real)
		if err := os.Symlink(real, path); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(dir, "elsewhere"), path+"-wal"); err != nil {
			t.Fatal(err)
		}
		f := &fakeACLs{lists: map[string]accessList{real: fileInRootOfC}}
		got := checkAccessLists(path, f.system())
		if len(got) != 2 {
			t.Fatalf("findings:%s\nwant the linked file's access and the planted link", summary(got))
		}
		if got[0].Severity != user.SeverityProblem || got[0].fs != nil || !strings.Contains(got[0].Message, "the file "+path+" links to lets others in (Users may read") {
			t.Errorf("linked database:%s\nwant a problem doctor does not repair through the link", summary(got[:1]))
		}
		if got[1].Severity != user.SeverityProblem || got[1].fs != nil || !strings.Contains(got[1].Message, path+"-wal is a symbolic link") {
			t.Errorf("planted link:%s\nwant a problem, not followed", summary(got[1:]))
		}
	})

	t.Run("what could not be read is said, not passed", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ctitui")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "ctitui.db")
		touch(t, path, path+"-wal")
		denied := errors.New("Access is denied.")
		f := &fakeACLs{
			readErr: map[string]error{path: denied, dir: denied},
			lists:   map[string]accessList{path + "-wal": fileInRootOfC},
		}
		got := checkAccessLists(path, f.system())
		if len(got) != 3 || got[0].Severity != user.SeverityInfo || !strings.Contains(got[0].Message, "who may open "+path+" was not checked") ||
			got[1].Severity != user.SeverityProblem || got[2].Severity != user.SeverityInfo || !strings.Contains(got[2].Message, "the folder "+dir+" was not checked") {
			t.Errorf("findings:%s\nwant a note for the database, the -wal's problem, a note for the folder", summary(got))
		}
	})

	for _, tc := range []struct {
		name string
		f    *fakeACLs
		want string
	}{
		{"a drive without access lists", &fakeACLs{noACLs: true}, "its file system (exFAT) keeps no access lists"},
		{"a volume that cannot be asked", &fakeACLs{fsErr: errors.New("Incorrect function.")}, "could not be asked whether it keeps access lists"},
		{"no user to compare with", &fakeACLs{meErr: errors.New("A specified logon session does not exist.")}, "the user running ctitui could not be told"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ctitui.db")
			touch(t, path)
			got := checkAccessLists(path, tc.f.system())
			if len(got) != 1 || got[0].Severity != user.SeverityInfo || got[0].fs != nil || !strings.Contains(got[0].Message, tc.want) ||
				!strings.Contains(got[0].Message, "was not checked") {
				t.Errorf("findings:%s\nwant one note saying %q and what was not checked", summary(got), tc.want)
			}
		})
	}
}
