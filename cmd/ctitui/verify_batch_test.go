package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
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

// Every answer has only the keys docs/json.md documents for it, each of its
// documented type, and the request's keys are what ParseVerifyLine reads.
func TestVerifyBatchDocumented(t *testing.T) {
	tables := docSections(t)["Login checks"]
	if len(tables) != 2 {
		t.Fatalf("docs/json.md, Login checks: %d tables; want the request's and the answer's", len(tables))
	}
	if want := (docTable{"email": "string", "password": "string"}); !maps.Equal(tables[0], want) {
		t.Errorf("docs/json.md, Login checks: request keys %v; want %v", tables[0], want)
	}
	path := filepath.Join(t.TempDir(), "ctitui.db")
	const pw = "correct-horse-battery-1"
	if code := runIn(t, path, strings.NewReader(pw+"\n"), io.Discard, io.Discard, "user", "add", "--email", "alice@example.org", "--password-stdin"); code != exitOK {
		t.Fatalf("user add: exit %d", code)
	}
	in := fmt.Sprintf("{\"email\":\"alice@example.org\",\"password\":%q}\nnot json\n{\"email\":\"alice@example.org\",\"password\":\"wrong\"}\n", pw)
	var stdout bytes.Buffer
	runIn(t, path, strings.NewReader(in), &stdout, io.Discard, "user", "verify", "--batch")
	sc := bufio.NewScanner(&stdout)
	n := 0
	for sc.Scan() {
		n++
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("answer %d: %v: %s", n, err, sc.Text())
		}
		for k, v := range obj {
			if doc, ok := tables[1][k]; !ok || !typeMatches(doc, v) {
				t.Errorf("answer %d: %q is %T %v; docs/json.md says %q", n, k, v, v, doc)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d answers; want 3", n)
	}
}
