package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

// endless is stdin holding one line of n bytes of 'a' and no newline (as
// `yes | tr -d '\n'` or /dev/zero piped in would), counting what was read.
type endless struct{ n, read int64 }

func (e *endless) Read(p []byte) (int, error) {
	if e.read >= e.n {
		return 0, io.EOF
	}
	k := min(int64(len(p)), e.n-e.read)
	for i := range k {
		p[i] = 'a'
	}
	e.read += k
	return int(k), nil
}

// TestPasswordStdinIsCapped: --password-stdin reads at most a little more
// than password.MaxPasswordBytes, however long the line, and refuses a
// longer one with one line and the usage exit code, before opening the
// database. A line at the cap is read whole.
func TestPasswordStdinIsCapped(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "ctitui.db")
	run := func(stdin io.Reader, args ...string) (int, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := runWith(context.Background(), append([]string{"--db", dbPath}, args...), stdin, &stdout, &stderr,
			passwordtest.Params, user.WithFailureFloor(0))
		return code, stderr.String()
	}
	if code, errs := run(strings.NewReader("granite harbor lantern 58\n"), "user", "add", "--email", "alice@example.org", "--password-stdin"); code != 0 {
		t.Fatalf("user add: exit %d, %s", code, errs)
	}
	want := fmt.Sprintf("ctitui: password on stdin is longer than %d bytes\n", password.MaxPasswordBytes)
	for _, args := range [][]string{
		{"user", "verify", "alice@example.org", "--password-stdin"},
		{"user", "verify", "nobody@example.org", "--password-stdin"},
		{"user", "add", "--email", "bob@example.org", "--password-stdin"},
		{"user", "passwd", "alice@example.org", "--password-stdin"},
	} {
		for _, size := range []int64{password.MaxPasswordBytes + 1, 64 << 20, 1 << 30} {
			in := &endless{n: size}
			code, errs := run(in, args...)
			if code != exitUsage || errs != want {
				t.Errorf("%q with a %d-byte line: exit %d, stderr %q; want %d, %q", args, size, code, errs, exitUsage, want)
			}
			if in.read > 2*password.MaxPasswordBytes {
				t.Errorf("%q with a %d-byte line read %d bytes; want at most %d", args, size, in.read, 2*password.MaxPasswordBytes)
			}
		}
	}
	// At the cap, with or without a line ending, the line is the password:
	// here a wrong one (exit 1), not a refusal.
	line := strings.Repeat("b", password.MaxPasswordBytes)
	for _, in := range []string{line, line + "\n", line + "\r\n"} {
		if code, errs := run(strings.NewReader(in), "user", "verify", "alice@example.org", "--password-stdin"); code != exitFail || errs != "ctitui: invalid email or password\n" {
			t.Errorf("verify with a %d-byte line: exit %d, stderr %q; want 1, invalid email or password", len(in), code, errs)
		}
	}
	// Nothing was added or changed by the refusals.
	var stdout, stderr bytes.Buffer
	if code := runWith(context.Background(), []string{"--db", dbPath, "user", "list", "--format", "json"}, strings.NewReader(""), &stdout, &stderr, passwordtest.Params); code != 0 {
		t.Fatalf("user list: %d %s", code, stderr.String())
	}
	if got := strings.Count(stdout.String(), `"email"`); got != 1 {
		t.Errorf("users after the refusals = %d; want 1 (alice)", got)
	}
	if code, errs := run(strings.NewReader("granite harbor lantern 58\n"), "user", "verify", "alice@example.org", "--password-stdin"); code != 0 {
		t.Errorf("alice's password after the refusals: exit %d, %s; want it unchanged", code, errs)
	}
}

// TestReadLine: one line, without its ending, never more than limit bytes of
// it and never more than limit+2 bytes read.
func TestReadLine(t *testing.T) {
	const limit = 8
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{"", "", io.EOF},
		{"\n", "", nil},
		{"abc\n", "abc", nil},
		{"abc\r\n", "abc", nil},
		{"abc", "abc", io.EOF},
		{"abc\nrest\n", "abc", nil},
		{"12345678\n", "12345678", nil},
		{"12345678\r\n", "12345678", nil},
		{"12345678", "12345678", io.EOF},
		{"123456789\n", "", errLineTooLong},
		{"123456789", "", errLineTooLong},
		{strings.Repeat("x", 1<<20), "", errLineTooLong},
	}
	for _, tt := range tests {
		r := strings.NewReader(tt.in)
		got, err := readLine(r, limit)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Errorf("readLine(%.20q, %d) = %q, %v; want %q, %v", tt.in, limit, got, err, tt.want, tt.wantErr)
		}
		if read := int64(len(tt.in)) - int64(r.Len()); read > limit+2 {
			t.Errorf("readLine(%.20q, %d) read %d bytes; want at most %d", tt.in, limit, read, limit+2)
		}
	}
}
