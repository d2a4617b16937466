package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// The paths below are built with filepath.Join, as defaultDatabase builds
// them: on this machine the separators are "/" whatever goos the case
// names. What is checked is which place each platform picks; the
// separators are the running platform's own.
func TestDefaultDatabase(t *testing.T) {
	const (
		home    = "/home/ana"
		profile = "/c/Users/ana"
		appData = "/c/Users/ana/AppData/Local"
		known   = "/c/Users/ana/AppData/Local-from-Windows"
	)
	linuxPlace := filepath.Join(home, ".local", "share", "ctitui", "ctitui.db")
	macPlace := filepath.Join(home, "Library", "Application Support", "ctitui", "ctitui.db")
	macOld := filepath.Join(home, ".local", "share", "ctitui", "ctitui.db")
	winPlace := filepath.Join(appData, "ctitui", "ctitui.db")
	winOld := filepath.Join(profile, ".local", "share", "ctitui", "ctitui.db")
	xdgPlace := filepath.Join("/data/xdg", "ctitui", "ctitui.db")
	for _, tc := range []struct {
		name     string
		goos     string
		env      map[string]string
		files    []string // exist
		noKnown  bool     // Windows names no local application data folder
		want     string
		native   string // when it differs from want
		legacy   bool
		wantErr  string
		wantHelp string
	}{
		{name: "linux", goos: "linux", env: map[string]string{"HOME": home}, want: linuxPlace},
		{name: "linux, absolute XDG_DATA_HOME", goos: "linux", env: map[string]string{"HOME": home, "XDG_DATA_HOME": "/data/xdg"}, want: xdgPlace},
		{name: "linux, relative XDG_DATA_HOME is ignored", goos: "linux", env: map[string]string{"HOME": home, "XDG_DATA_HOME": "data/xdg"}, want: linuxPlace},
		{name: "linux, ~ in XDG_DATA_HOME is not expanded (relative)", goos: "linux", env: map[string]string{"HOME": home, "XDG_DATA_HOME": "~/xdg"}, want: linuxPlace},
		{name: "linux, an existing file changes nothing", goos: "linux", env: map[string]string{"HOME": home}, files: []string{linuxPlace}, want: linuxPlace},
		{name: "linux without HOME", goos: "linux", env: map[string]string{}, wantErr: "$HOME is not set"},
		{name: "freebsd follows XDG", goos: "freebsd", env: map[string]string{"HOME": home}, want: linuxPlace},
		{name: "openbsd with XDG_DATA_HOME", goos: "openbsd", env: map[string]string{"HOME": home, "XDG_DATA_HOME": "/data/xdg"}, want: xdgPlace},

		{name: "macOS", goos: "darwin", env: map[string]string{"HOME": home}, want: macPlace},
		{name: "macOS, absolute XDG_DATA_HOME wins", goos: "darwin", env: map[string]string{"HOME": home, "XDG_DATA_HOME": "/data/xdg"}, want: xdgPlace},
		{name: "macOS, relative XDG_DATA_HOME is ignored", goos: "darwin", env: map[string]string{"HOME": home, "XDG_DATA_HOME": "xdg"}, want: macPlace},
		{name: "macOS, a database at the old place is kept", goos: "darwin", env: map[string]string{"HOME": home}, files: []string{macOld},
			want: macOld, native: macPlace, legacy: true},
		{name: "macOS, the native place wins once it holds one", goos: "darwin", env: map[string]string{"HOME": home}, files: []string{macOld, macPlace}, want: macPlace},
		{name: "macOS, XDG_DATA_HOME wins over the old place", goos: "darwin", env: map[string]string{"HOME": home, "XDG_DATA_HOME": "/data/xdg"}, files: []string{macOld}, want: xdgPlace},
		{name: "macOS without HOME", goos: "darwin", env: map[string]string{}, wantErr: "$HOME is not set"},

		{name: "windows", goos: "windows", env: map[string]string{"USERPROFILE": profile, "LOCALAPPDATA": appData}, want: winPlace},
		{name: "windows, LOCALAPPDATA unset: the Known Folder", goos: "windows", env: map[string]string{"USERPROFILE": profile},
			want: filepath.Join(known, "ctitui", "ctitui.db")},
		{name: "windows, relative LOCALAPPDATA: the Known Folder", goos: "windows", env: map[string]string{"USERPROFILE": profile, "LOCALAPPDATA": "AppData"},
			want: filepath.Join(known, "ctitui", "ctitui.db")},
		{name: "windows, no folder at all", goos: "windows", env: map[string]string{"USERPROFILE": profile}, noKnown: true, wantErr: "%LocalAppData% is not set"},
		{name: "windows, absolute XDG_DATA_HOME wins", goos: "windows", env: map[string]string{"USERPROFILE": profile, "LOCALAPPDATA": appData, "XDG_DATA_HOME": "/data/xdg"}, want: xdgPlace},
		{name: "windows, a database at the old place is kept", goos: "windows", env: map[string]string{"USERPROFILE": profile, "LOCALAPPDATA": appData},
			files: []string{winOld}, want: winOld, native: winPlace, legacy: true},
		{name: "windows, the native place wins once it holds one", goos: "windows", env: map[string]string{"USERPROFILE": profile, "LOCALAPPDATA": appData},
			files: []string{winOld, winPlace}, want: winPlace},
		{name: "windows reads USERPROFILE, not HOME, for the old place", goos: "windows", env: map[string]string{"HOME": profile, "LOCALAPPDATA": appData},
			files: []string{winOld}, want: winPlace},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := dataEnv{
				goos:   tc.goos,
				getenv: func(k string) string { return tc.env[k] },
				localAppData: func() (string, error) {
					if tc.noKnown {
						return "", errors.New("element not found")
					}
					return known, nil
				},
				exists: func(p string) bool {
					for _, f := range tc.files {
						if f == p {
							return true
						}
					}
					return false
				},
			}
			got, native, legacy, err := defaultDatabase(env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "--db") {
					t.Fatalf("defaultDatabase(%s) = %q, %v; want an error saying %q and naming --db", tc.goos, got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("defaultDatabase(%s) failed: %v", tc.goos, err)
			}
			wantNative := tc.native
			if wantNative == "" {
				wantNative = tc.want
			}
			if got != tc.want || native != wantNative || legacy != tc.legacy {
				t.Errorf("defaultDatabase(%s) = %q, native %q, legacy %v; want %q, native %q, legacy %v", tc.goos, got, native, legacy, tc.want, wantNative, tc.legacy)
			}
		})
	}
}

// TestLegacyDatabaseNotice: a database at the old place is announced, once
// per run however often the path is asked for, and names where it belongs.
func TestLegacyDatabaseNotice(t *testing.T) {
	old := filepath.Join("/Users/ana", ".local", "share", "ctitui", "ctitui.db")
	env := dataEnv{
		goos:         "darwin",
		getenv:       func(k string) string { return map[string]string{"HOME": "/Users/ana"}[k] },
		localAppData: knownLocalAppData,
		exists:       func(p string) bool { return p == old },
	}
	var stderr bytes.Buffer
	a := &app{stderr: &stderr}
	for range 3 {
		got, err := a.defaultDatabasePathIn(env)
		if err != nil || got != old {
			t.Fatalf("defaultDatabasePathIn = %q, %v; want %q", got, err, old)
		}
	}
	want := filepath.Join("/Users/ana", "Library", "Application Support", "ctitui")
	if n := strings.Count(stderr.String(), "\n"); n != 1 || !strings.Contains(stderr.String(), "using "+old) || !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr = %q; want one notice naming %s and %s", stderr.String(), old, want)
	}
}

// TestDefaultDatabaseHelp: the help names each platform's place; on Linux
// it reads as it always did.
func TestDefaultDatabaseHelp(t *testing.T) {
	for _, tc := range []struct {
		goos, rule, usual, restore string
	}{
		{"linux", "$XDG_DATA_HOME/ctitui/ctitui.db", "~/.local/share/ctitui/ctitui.db", "ctitui restore ~/.local/share/ctitui/ctitui.db.20261126T101500.000Z.bak"},
		{"freebsd", "$XDG_DATA_HOME/ctitui/ctitui.db", "~/.local/share/ctitui/ctitui.db", "ctitui restore ~/.local/share/ctitui/ctitui.db.20261126T101500.000Z.bak"},
		{"darwin", "$XDG_DATA_HOME/ctitui/ctitui.db", "~/Library/Application Support/ctitui/ctitui.db",
			`ctitui restore ~/"Library/Application Support/ctitui/ctitui.db.20261126T101500.000Z.bak"`},
		{"windows", `%XDG_DATA_HOME%\ctitui\ctitui.db`, `%LocalAppData%\ctitui\ctitui.db`, `ctitui restore %LocalAppData%\ctitui\ctitui.db.20261126T101500.000Z.bak`},
	} {
		rule, usual := defaultDatabaseHelp(tc.goos)
		if rule != tc.rule || usual != tc.usual {
			t.Errorf("defaultDatabaseHelp(%s) = %q, %q; want %q, %q", tc.goos, rule, usual, tc.rule, tc.usual)
		}
		if got := restoreExample(tc.goos); got != tc.restore {
			t.Errorf("restoreExample(%s) = %q; want %q", tc.goos, got, tc.restore)
		}
	}
}
