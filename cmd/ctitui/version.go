package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctitui/ctitui/internal/db/sqlite"
)

// What a release build stamps into the binary, with -ldflags -X
// (scripts/release.sh): every one is empty in a plain `go build`, which
// falls back to what Go records in the build info.
var (
	buildVersion    string // v1.2.3
	buildCommit     string // the full commit id
	buildCommitDate string // the commit's time, RFC 3339 UTC
	buildDate       string // when the release was built, RFC 3339 UTC
)

// stamp is what the linker set in the variables above. A release is built
// from a commit's tree (git archive), never from uncommitted files, so it
// has nothing to say about changes beside the commit.
type stamp struct {
	Version, Commit, CommitDate, Date string
}

// linkerStamp returns the values stamped at build time.
func linkerStamp() stamp {
	return stamp{Version: buildVersion, Commit: buildCommit, CommitDate: buildCommitDate, Date: buildDate}
}

// or fills the values s lacks from o. A commit's date goes with its commit:
// it is taken from o only together with o's commit, or when s names none.
func (s stamp) or(o stamp) stamp {
	if s.Version == "" {
		s.Version = o.Version
	}
	if s.Commit == "" || s.Commit == o.Commit {
		s.Commit = o.Commit
		if s.CommitDate == "" {
			s.CommitDate = o.CommitDate
		}
	}
	if s.Date == "" {
		s.Date = o.Date
	}
	return s
}

// sqliteModule is the Go module that carries the SQLite engine.
const sqliteModule = "modernc.org/sqlite"

// versionInfo is what `ctitui version` reports. Its JSON shape is part of
// ctitui's interface: fields are only ever added. A value that is not known
// is "" (never omitted), so that a program can tell "unknown" from a field
// it does not have.
type versionInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	// Modified is true when the binary was built from a tree with
	// uncommitted changes, so that the commit does not describe it.
	Modified   bool   `json:"modified"`
	CommitDate string `json:"commit_date"`
	BuildDate  string `json:"build_date"`
	Go         string `json:"go"`
	Platform   string `json:"platform"`
	SQLite     string `json:"sqlite"`
	// SQLiteModule is the version of the Go module that carries SQLite.
	SQLiteModule string `json:"sqlite_module"`
	Schema       int64  `json:"schema"`
}

// develVersion is the version of a binary that records none: go build in a
// tree without version control information, or `go run`.
const develVersion = "(devel)"

// newVersionInfo builds the report from the stamp (the linker's, then git
// archive's), the build info Go recorded (bi may be nil), the SQLite version
// and the schema version. What was stamped wins; the build info fills the
// rest: the main
// module's version (which go build derives from the commit and its tags),
// vcs.revision, vcs.time and vcs.modified.
func newVersionInfo(s stamp, bi *debug.BuildInfo, sqlite string, schema int64) versionInfo {
	v := versionInfo{
		Version:    s.Version,
		Commit:     s.Commit,
		CommitDate: s.CommitDate,
		BuildDate:  s.Date,
		Go:         runtime.Version(),
		Platform:   runtime.GOOS + "/" + runtime.GOARCH,
		SQLite:     sqlite,
		Schema:     schema,
	}
	if bi != nil {
		if v.Version == "" {
			v.Version = bi.Main.Version
		}
		settings := map[string]string{}
		for _, kv := range bi.Settings {
			settings[kv.Key] = kv.Value
		}
		if v.Commit == "" {
			v.Commit = settings["vcs.revision"]
			v.Modified = settings["vcs.modified"] == "true"
		}
		if v.CommitDate == "" {
			v.CommitDate = settings["vcs.time"]
		}
		for _, dep := range bi.Deps {
			if dep.Path != sqliteModule {
				continue
			}
			v.SQLiteModule = dep.Version
			if dep.Replace != nil {
				v.SQLiteModule = dep.Replace.Version
			}
		}
	}
	if v.Version == "" {
		v.Version = develVersion
	}
	v.CommitDate, v.BuildDate = programDate(v.CommitDate), programDate(v.BuildDate)
	return v
}

// currentVersionInfo is the report for this binary.
func (a *app) currentVersionInfo() (versionInfo, error) {
	lib, err := sqlite.SQLiteVersion(a.ctx)
	if err != nil {
		return versionInfo{}, err
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return newVersionInfo(linkerStamp().or(archiveStamp()), bi, lib, sqlite.LatestVersion()), nil
}

// writeText writes v for people: the version on the first line, as
// `--version` prints it in most tools, then one detail a line.
func (v versionInfo) writeText(w io.Writer) error {
	commit := v.Commit
	if commit == "" {
		commit = "unknown (built without version control information)"
	}
	if v.Modified {
		commit += ", with uncommitted changes"
	}
	if v.CommitDate != "" {
		commit += " (" + personDate(v.CommitDate) + ")"
	}
	built := personDate(v.BuildDate)
	if built == "" {
		built = "not stamped (not a release build)"
	}
	sqlite := v.SQLite
	if v.SQLiteModule != "" {
		sqlite += " (" + sqliteModule + " " + v.SQLiteModule + ")"
	}
	_, err := fmt.Fprintf(w, "ctitui %s\ncommit:  %s\nbuilt:   %s\ngo:      %s %s\nsqlite:  %s\nschema:  %d\n",
		v.Version, commit, built, v.Go, v.Platform, sqlite, v.Schema)
	return err
}

// programDate writes an RFC 3339 time as programs get every time from
// ctitui, in UTC; a value that is not a time is kept as it is.
func programDate(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(time.RFC3339)
}

// personDate shows an RFC 3339 time in UTC to the second; "" and a value
// that is not a time are shown as they are.
func personDate(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func (a *app) versionCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version [--format table|json]",
		Short: "Print the version, commit, build, SQLite and schema versions",
		Long: `version prints what this binary is: its version, the commit it was built
from and when, the Go version and platform, the SQLite library inside it, and
the schema version it migrates databases to. It opens no database.

A release build (scripts/release.sh) has these stamped in. A binary built
with go build takes them from a source archive's commit (git archive writes
it in) or from the build information Go records in a git checkout.`,
		Example: `  ctitui version
  ctitui --version
  ctitui version --format json`,
		Args: cobra.NoArgs,
	}
	getFormat := formatFlag(cmd, reportFormats)
	cmd.RunE = func(*cobra.Command, []string) error {
		f, err := getFormat()
		if err != nil {
			return err
		}
		if f == formatCSV {
			return usagef("version prints table or json")
		}
		return a.printVersion(f)
	}
	return cmd
}

// printVersion writes the version report in f, table being the text for
// people.
func (a *app) printVersion(f format) error {
	v, err := a.currentVersionInfo()
	if err != nil {
		return err
	}
	if f == formatJSON {
		return writeJSON(a.stdout, v)
	}
	return v.writeText(a.stdout)
}

// version is this binary's version alone, as the man pages' header names it.
func version() string {
	bi, _ := debug.ReadBuildInfo()
	return newVersionInfo(linkerStamp().or(archiveStamp()), bi, "", 0).Version
}
