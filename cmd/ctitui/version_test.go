package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// buildInfo returns build info for module version mainVersion, with the
// given build settings and modernc.org/sqlite at sqliteVersion ("" for none).
func buildInfo(mainVersion, sqliteVersion string, settings ...string) *debug.BuildInfo {
	bi := &debug.BuildInfo{GoVersion: runtime.Version(), Main: debug.Module{Path: "github.com/ctitui/ctitui", Version: mainVersion}}
	for i := 0; i+1 < len(settings); i += 2 {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
	}
	bi.Deps = append(bi.Deps, &debug.Module{Path: "github.com/spf13/cobra", Version: "v1.10.2"})
	if sqliteVersion != "" {
		bi.Deps = append(bi.Deps, &debug.Module{Path: sqliteModule, Version: sqliteVersion})
	}
	return bi
}

func TestNewVersionInfo(t *testing.T) {
	const rev = "3e2050a0da34b5745ea01ad7861db66ebce598f4"
	vcs := []string{"vcs", "git", "vcs.revision", rev, "vcs.time", "2026-12-03T13:48:57Z", "vcs.modified", "false"}
	release := stamp{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", CommitDate: "2026-11-30T08:00:00Z", Date: "2026-12-01T09:30:00Z"}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	replaced := buildInfo("(devel)", "v1.62.0")
	replaced.Deps[1].Replace = &debug.Module{Path: "example.org/sqlite-fork", Version: "v1.62.1"}

	tests := []struct {
		name  string
		stamp stamp
		bi    *debug.BuildInfo
		want  versionInfo
	}{{
		name:  "a release build: the stamp wins over the build info",
		stamp: release,
		bi:    buildInfo("v0.0.0-20261203134857-3e2050a0da34", "v1.62.0", vcs...),
		want: versionInfo{Version: "v1.2.3", Commit: release.Commit, CommitDate: release.CommitDate, BuildDate: release.Date,
			SQLiteModule: "v1.62.0"},
	}, {
		name:  "a release build ignores vcs.modified of the tree it was not built from",
		stamp: stamp{Version: "v1.2.3", Commit: release.Commit},
		bi:    buildInfo("(devel)", "v1.62.0", "vcs.revision", rev, "vcs.modified", "true"),
		want:  versionInfo{Version: "v1.2.3", Commit: release.Commit, SQLiteModule: "v1.62.0"},
	}, {
		name: "go build in a checkout: the module version and vcs settings",
		bi:   buildInfo("v0.0.0-20261203134857-3e2050a0da34", "v1.62.0", vcs...),
		want: versionInfo{Version: "v0.0.0-20261203134857-3e2050a0da34", Commit: rev, CommitDate: "2026-12-03T13:48:57Z", SQLiteModule: "v1.62.0"},
	}, {
		name: "go build in a checkout with uncommitted changes",
		bi:   buildInfo("v0.0.0-20261203134857-3e2050a0da34+dirty", "v1.62.0", "vcs.revision", rev, "vcs.modified", "true"),
		want: versionInfo{Version: "v0.0.0-20261203134857-3e2050a0da34+dirty", Commit: rev, Modified: true, SQLiteModule: "v1.62.0"},
	}, {
		name: "go install module@version",
		bi:   buildInfo("v1.4.0", "v1.62.0"),
		want: versionInfo{Version: "v1.4.0", SQLiteModule: "v1.62.0"},
	}, {
		name: "go build without version control information",
		bi:   buildInfo("(devel)", "v1.62.0"),
		want: versionInfo{Version: "(devel)", SQLiteModule: "v1.62.0"},
	}, {
		name: "no build info at all",
		want: versionInfo{Version: "(devel)"},
	}, {
		name: "an empty module version",
		bi:   buildInfo("", ""),
		want: versionInfo{Version: "(devel)"},
	}, {
		name: "times are given in UTC",
		bi:   buildInfo("(devel)", "", "vcs.time", "2026-12-03T15:48:57+02:00"),
		want: versionInfo{Version: "(devel)", CommitDate: "2026-12-03T13:48:57Z"},
	}, {
		name:  "a stamped date that is not a time is kept as it is",
		stamp: stamp{Version: "v1.2.3", Date: "yesterday"},
		want:  versionInfo{Version: "v1.2.3", BuildDate: "yesterday"},
	}, {
		name: "a replaced SQLite module reports the replacement's version",
		bi:   replaced,
		want: versionInfo{Version: "(devel)", SQLiteModule: "v1.62.1"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.Go, tt.want.Platform, tt.want.SQLite, tt.want.Schema = runtime.Version(), platform, "3.54.1", 10
			got := newVersionInfo(tt.stamp, tt.bi, "3.54.1", 10)
			if got != tt.want {
				t.Errorf("newVersionInfo(%+v, ...) =\n%+v\nwant\n%+v", tt.stamp, got, tt.want)
			}
		})
	}
}

func TestVersionInfoText(t *testing.T) {
	tests := []struct {
		name string
		v    versionInfo
		want string
	}{{
		name: "release",
		v: versionInfo{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", CommitDate: "2026-11-30T08:00:00Z",
			BuildDate: "2026-12-01T09:30:00Z", Go: "go1.26.8", Platform: "linux/amd64", SQLite: "3.54.1", SQLiteModule: "v1.62.0", Schema: 10},
		want: `ctitui v1.2.3
commit:  0123456789abcdef0123456789abcdef01234567 (2026-11-30 08:00:00 UTC)
built:   2026-12-01 09:30:00 UTC
go:      go1.26.8 linux/amd64
sqlite:  3.54.1 (modernc.org/sqlite v1.62.0)
schema:  10
`,
	}, {
		name: "a checkout with changes",
		v:    versionInfo{Version: "v0.0.0-20261203134857-3e2050a0da34+dirty", Commit: "3e2050a0da34b5745ea01ad7861db66ebce598f4", Modified: true, Go: "go1.26.8", Platform: "windows/arm64", SQLite: "3.54.1", Schema: 9},
		want: `ctitui v0.0.0-20261203134857-3e2050a0da34+dirty
commit:  3e2050a0da34b5745ea01ad7861db66ebce598f4, with uncommitted changes
built:   not stamped (not a release build)
go:      go1.26.8 windows/arm64
sqlite:  3.54.1
schema:  9
`,
	}, {
		name: "nothing known",
		v:    versionInfo{Version: "(devel)", Go: "go1.26.8", Platform: "darwin/arm64", SQLite: "3.54.1", Schema: 10},
		want: `ctitui (devel)
commit:  unknown (built without version control information)
built:   not stamped (not a release build)
go:      go1.26.8 darwin/arm64
sqlite:  3.54.1
schema:  10
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.v.writeText(&buf); err != nil {
				t.Fatalf("writeText: %v", err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("writeText(%+v) =\n%s\nwant\n%s", tt.v, got, tt.want)
			}
		})
	}
}

// TestVersionInfoJSON pins the JSON shape: every field present, unknown
// values as "", names as documented.
func TestVersionInfoJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, versionInfo{Version: "(devel)", Go: "go1.26.8", Platform: "linux/amd64", SQLite: "3.54.1", Schema: 10}); err != nil {
		t.Fatalf("writeJSON: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("writeJSON wrote %q, not a JSON object: %v", buf.String(), err)
	}
	want := map[string]any{
		"version": "(devel)", "commit": "", "modified": false, "commit_date": "", "build_date": "",
		"go": "go1.26.8", "platform": "linux/amd64", "sqlite": "3.54.1", "sqlite_module": "", "schema": float64(10),
	}
	if len(got) != len(want) {
		t.Errorf("writeJSON wrote %d fields; want %d: %s", len(got), len(want), buf.String())
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("writeJSON: %q = %v (present %v); want %v", k, g, ok, w)
		}
	}
	if strings.Count(buf.String(), "\n") < 2 {
		t.Errorf("writeJSON wrote one line; want it indented for people: %s", buf.String())
	}
}

func TestParseArchiveStamp(t *testing.T) {
	const rev = "3e2050a0da34b5745ea01ad7861db66ebce598f4"
	tests := []struct {
		describe, commit, date string
		want                   stamp
	}{
		// A checkout: git archive substituted nothing.
		{"$Format:%(describe:tags)$", "$Format:%H$", "$Format:%cI$", stamp{}},
		// A tagged commit, archived.
		{"v1.2.3", rev, "2026-12-03T13:48:57+00:00", stamp{Version: "v1.2.3", Commit: rev, CommitDate: "2026-12-03T13:48:57+00:00"}},
		// No tag: describe expands to nothing.
		{"", rev, "2026-12-03T13:48:57+00:00", stamp{Commit: rev, CommitDate: "2026-12-03T13:48:57+00:00"}},
		// A git too old for %(describe) leaves that placeholder alone.
		{"$Format:%(describe:tags)$", rev, "2026-12-03T13:48:57+00:00", stamp{Commit: rev, CommitDate: "2026-12-03T13:48:57+00:00"}},
	}
	for _, tt := range tests {
		if got := parseArchiveStamp(tt.describe, tt.commit, tt.date); got != tt.want {
			t.Errorf("parseArchiveStamp(%q, %q, %q) = %+v; want %+v", tt.describe, tt.commit, tt.date, got, tt.want)
		}
	}
}

// TestArchiveStamp checks the file git archive fills in: in a checkout it
// says nothing; in an archive it names a full commit and its time.
func TestArchiveStamp(t *testing.T) {
	got := archiveStamp()
	if strings.Contains(archiveCommit, "$Format:") {
		if got != (stamp{}) {
			t.Errorf("archiveStamp() in a checkout = %+v; want nothing", got)
		}
		return
	}
	if len(got.Commit) != 40 || strings.Trim(got.Commit, "0123456789abcdef") != "" {
		t.Errorf("archiveStamp().Commit = %q; want a full commit id", got.Commit)
	}
	if _, err := time.Parse(time.RFC3339, got.CommitDate); err != nil {
		t.Errorf("archiveStamp().CommitDate = %q; want an RFC 3339 time: %v", got.CommitDate, err)
	}
}

func TestStampOr(t *testing.T) {
	const a, b = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	archive := stamp{Version: "v1.2.3", Commit: a, CommitDate: "2026-11-30T08:00:00Z"}
	tests := []struct {
		name   string
		linker stamp
		want   stamp
	}{
		{"nothing linked: the archive's", stamp{}, archive},
		{"a release: the linker's", stamp{Version: "v1.2.4", Commit: b, CommitDate: "2026-12-01T08:00:00Z", Date: "2026-12-02T08:00:00Z"},
			stamp{Version: "v1.2.4", Commit: b, CommitDate: "2026-12-01T08:00:00Z", Date: "2026-12-02T08:00:00Z"}},
		{"another commit linked: not the archive's date", stamp{Commit: b}, stamp{Version: "v1.2.3", Commit: b}},
		{"the same commit linked: the archive's date", stamp{Commit: a, Date: "2026-12-02T08:00:00Z"},
			stamp{Version: "v1.2.3", Commit: a, CommitDate: "2026-11-30T08:00:00Z", Date: "2026-12-02T08:00:00Z"}},
		{"only a version linked", stamp{Version: "v9.0.0"}, stamp{Version: "v9.0.0", Commit: a, CommitDate: "2026-11-30T08:00:00Z"}},
	}
	for _, tt := range tests {
		if got := tt.linker.or(archive); got != tt.want {
			t.Errorf("%s: %+v.or(%+v) = %+v; want %+v", tt.name, tt.linker, archive, got, tt.want)
		}
	}
}
