//go:build unix

package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// fullWriter fails every write, as a full disk does.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// The summary line is what scripts/bench.sh reads: a run whose summary was
// not written fails, even though the file was built.
func TestSummaryThatCannotBeWritten(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.db")
	var stderr bytes.Buffer
	if code := run([]string{"-n", "20", "-o", out, "-q"}, fullWriter{}, &stderr); code != 1 || !strings.Contains(stderr.String(), "no space left on device") {
		t.Errorf("run with stdout full = %d, stderr %q; want 1 and the write error", code, stderr.String())
	}
	var stdout bytes.Buffer
	stderr.Reset()
	if code := run([]string{"-n", "20", "-o", out, "-q", "-f"}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "benchdb: 20 users in ") {
		t.Errorf("run with room = %d, stdout %q, stderr %q; want 0 and the summary", code, stdout.String(), stderr.String())
	}
}
