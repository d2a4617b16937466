package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The binary answers each line before the next is sent, and its exit code
// says whether every line logged in.
func TestVerifyBatchProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	const pw = "correct-horse-battery-1"
	var stderr bytes.Buffer
	if code := runIn(t, path, strings.NewReader(pw+"\n"), io.Discard, &stderr, "user", "add", "--email", "alice@example.org", "--password-stdin"); code != exitOK {
		t.Fatalf("user add: exit %d: %s", code, stderr.String())
	}
	request := func(email, plain string) string {
		return fmt.Sprintf(`{"email":%q,"password":%q}`, email, plain)
	}
	tests := []struct {
		name     string
		lines    []string
		want     []string
		wantCode int
	}{
		{"all ok", []string{request("alice@example.org", pw), request("Alice@Example.org", pw)}, []string{
			`{"line":1,"email":"alice@example.org","ok":true}`,
			`{"line":2,"email":"Alice@Example.org","ok":true}`,
		}, exitOK},
		{"one refused, one malformed", []string{request("alice@example.org", "wrong"), `{"email":"alice@example.org"}`, request("alice@example.org", pw)}, []string{
			`{"line":1,"email":"alice@example.org","ok":false}`,
			`{"line":2,"ok":false,"error":"line 2: no \"password\""}`,
			`{"line":3,"email":"alice@example.org","ok":true}`,
		}, exitFail},
		{"no lines", nil, nil, exitFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("ctitui", "--db", path, "user", "verify", "--batch")
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			answers := bufio.NewScanner(stdout)
			for i, line := range tt.lines {
				if _, err := io.WriteString(stdin, line+"\n"); err != nil {
					t.Fatal(err)
				}
				// stdin is still open: the answer must come now.
				if !answers.Scan() {
					t.Fatalf("no answer to line %d: %v; stderr: %s", i+1, answers.Err(), stderr.String())
				}
				if got := answers.Text(); got != tt.want[i] {
					t.Errorf("answer %d = %s; want %s", i+1, got, tt.want[i])
				}
			}
			stdin.Close()
			if answers.Scan() {
				t.Errorf("extra output after the last answer: %s", answers.Text())
			}
			err = cmd.Wait()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Errorf("exit code %d; want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			if ok := tt.wantCode == exitOK; ok != (stderr.Len() == 0) {
				t.Errorf("stderr %q with exit code %d", stderr.String(), code)
			}
		})
	}
}

func TestVerifyBatchUsage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"user", "verify", "--batch", "alice@example.org"}, "--batch reads the emails from stdin"},
		{[]string{"user", "verify", "--batch", "--password-stdin"}, "--password-stdin"},
		{[]string{"user", "verify"}, "EMAIL"},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		code := runIn(t, path, strings.NewReader(""), io.Discard, &stderr, tt.args...)
		if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("ctitui %s: exit %d, %q; want exit %d and a message with %q", strings.Join(tt.args, " "), code, stderr.String(), exitUsage, tt.want)
		}
	}
}
