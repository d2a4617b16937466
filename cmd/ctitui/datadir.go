package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
)

// The database lives where each platform keeps an application's data for
// one user, unless --db or $CTITUI_DB names it:
//
//	Linux, BSDs  $XDG_DATA_HOME/ctitui/ctitui.db, else ~/.local/share/ctitui/ctitui.db
//	macOS        ~/Library/Application Support/ctitui/ctitui.db
//	Windows      %LocalAppData%\ctitui\ctitui.db
//
// An absolute $XDG_DATA_HOME wins on every platform, as it does for the
// tools that follow the XDG spec there (adrg/xdg, for one): whoever sets it
// on a Mac or a Windows machine asks for it. A relative one is ignored, as
// the spec says.
//
// Until this rule, ctitui used ~/.local/share/ctitui/ctitui.db on every
// platform. On macOS and Windows a database found there, while the
// platform's place holds none, is still used, with a notice saying where
// to move it: a user who upgrades must not meet an empty database.

// dataEnv is what choosing the default database reads: the platform, the
// environment, Windows' Known Folder for local application data, and the
// file system. The binary passes the real ones (hostDataEnv); tests, any.
type dataEnv struct {
	goos         string
	getenv       func(string) string
	localAppData func() (string, error) // used only when %LocalAppData% is unset or relative
	exists       func(string) bool
}

// hostDataEnv is dataEnv for this process, reading its environment
// through getenv.
func hostDataEnv(getenv func(string) string) dataEnv {
	return dataEnv{goos: runtime.GOOS, getenv: getenv, localAppData: knownLocalAppData, exists: fileExists}
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// defaultDatabase returns the database used when neither --db nor
// $CTITUI_DB names one. legacy is true when it is the file an earlier ctitui
// made at ~/.local/share on macOS or Windows; native is then where it
// belongs.
func defaultDatabase(env dataEnv) (path, native string, legacy bool, err error) {
	if dir := env.getenv("XDG_DATA_HOME"); dir != "" && filepath.IsAbs(dir) {
		p := filepath.Join(dir, "ctitui", "ctitui.db")
		return p, p, false, nil
	}
	home := env.getenv(homeVariable(env.goos))
	var base string
	switch env.goos {
	case "windows":
		base = env.getenv("LOCALAPPDATA")
		if base == "" || !filepath.IsAbs(base) {
			if base, err = env.localAppData(); err != nil {
				return "", "", false, fmt.Errorf("find the default database: %%LocalAppData%% is not set and Windows did not name the folder (%w); pass --db or set CTITUI_DB", err)
			}
		}
	case "darwin", "ios":
		if home == "" {
			return "", "", false, errors.New("find the default database: $HOME is not set; pass --db or set CTITUI_DB")
		}
		base = filepath.Join(home, "Library", "Application Support")
	default:
		if home == "" {
			return "", "", false, fmt.Errorf("find the default database: $%s is not set; pass --db or set CTITUI_DB", homeVariable(env.goos))
		}
		base = filepath.Join(home, ".local", "share")
	}
	native = filepath.Join(base, "ctitui", "ctitui.db")
	if home != "" {
		// On Linux and the BSDs the old place is the native one, which
		// then either exists or does not: this never picks the old one.
		old := filepath.Join(home, ".local", "share", "ctitui", "ctitui.db")
		if !env.exists(native) && env.exists(old) {
			return old, native, true, nil
		}
	}
	return native, native, false, nil
}

// homeVariable names the variable os.UserHomeDir reads on goos.
func homeVariable(goos string) string {
	switch goos {
	case "windows":
		return "USERPROFILE"
	case "plan9":
		return "home"
	}
	return "HOME"
}

// defaultDatabasePath is defaultDatabase for this process.
func (a *app) defaultDatabasePath() (string, error) {
	return a.defaultDatabasePathIn(hostDataEnv(a.getenv))
}

// defaultDatabasePathIn is defaultDatabase in env. A database left at the
// old place is announced once per run.
func (a *app) defaultDatabasePathIn(env dataEnv) (string, error) {
	path, native, legacy, err := defaultDatabase(env)
	if err != nil {
		return "", err
	}
	if legacy {
		msg := fmt.Sprintf("using %s, where earlier versions of ctitui kept the database; with no ctitui running, move it and the files beside it that start with its name to %s",
			path, filepath.Dir(native))
		if !slices.Contains(a.notices, msg) {
			a.notify(msg)
		}
	}
	return path, nil
}

// defaultDatabaseHelp says, for the help on goos, where the database is
// when nothing names it: the rule, then its usual result.
func defaultDatabaseHelp(goos string) (rule, usual string) {
	switch goos {
	case "windows":
		return `%XDG_DATA_HOME%\ctitui\ctitui.db`, `%LocalAppData%\ctitui\ctitui.db`
	case "darwin", "ios":
		return "$XDG_DATA_HOME/ctitui/ctitui.db", "~/Library/Application Support/ctitui/ctitui.db"
	}
	return "$XDG_DATA_HOME/ctitui/ctitui.db", "~/.local/share/ctitui/ctitui.db"
}

// envVarHelp writes the variable name as people type it on goos.
func envVarHelp(goos, name string) string {
	if goos == "windows" {
		return "%" + name + "%"
	}
	return "$" + name
}

// restoreExample is a restore of an automatic backup at the default place
// on goos, as typed in its usual shell.
func restoreExample(goos string) string {
	const backup = "ctitui.db.20261126T101500.000Z.bak"
	switch goos {
	case "windows":
		return `ctitui restore %LocalAppData%\ctitui\` + backup
	case "darwin", "ios":
		return `ctitui restore ~/"Library/Application Support/ctitui/` + backup + `"`
	}
	return "ctitui restore ~/.local/share/ctitui/" + backup
}
