package user_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

func TestParseVerifyLine(t *testing.T) {
	long := strings.Repeat("x", password.MaxPasswordBytes)
	ok := []struct {
		line        string
		email, pass string
	}{
		{`{"email":"a@example.org","password":"pw"}`, "a@example.org", "pw"},
		{` { "password" : "pw" , "email" : "a@example.org" } `, "a@example.org", "pw"},
		{`{"email":"a@example.org","password":"pw"}` + "\r", "a@example.org", "pw"},
		{`{"email":"\u00e9@example.org","password":"caf\u00e9 \"q\" \\ \/"}`, "é@example.org", `café "q" \ /`},
		{`{"email":"a@example.org","password":"` + long + `"}`, "a@example.org", long},
		{`{"email":"not an email","password":" "}`, "not an email", " "},
		// A whole UTF-16 pair is one character; an escaped backslash
		// before "ud800" is no escape of it.
		{`{"email":"a@example.org","password":"x\ud83d\ude00y"}`, "a@example.org", "x\U0001F600y"},
		{`{"email":"a@example.org","password":"\\ud800"}`, "a@example.org", `\ud800`},
	}
	for _, tt := range ok {
		got, err := user.ParseVerifyLine([]byte(tt.line))
		if err != nil || got.Email != tt.email || got.Password != tt.pass {
			t.Errorf("ParseVerifyLine(%.60q) = %q, %q, %v; want %q, %q, nil", tt.line, got.Email, got.Password, err, tt.email, tt.pass)
		}
	}
	bad := []struct {
		line, want string
	}{
		{``, "empty line"},
		{" \t\r", "empty line"},
		{`hunter2`, "not a JSON object"},
		{`["a@example.org","hunter2"]`, "not a JSON object"},
		{`"hunter2"`, "not a JSON object"},
		{`42`, "not a JSON object"},
		{`{"email":"a@example.org"}`, `no "password"`},
		{`{"password":"hunter2"}`, `no "email"`},
		{`{"email":"","password":"hunter2"}`, `no "email"`},
		{`{"email":"a@example.org","password":""}`, `no "password"`},
		{`{}`, `no "email"`},
		{`{"email":"a@example.org","email":"b@example.org","password":"hunter2"}`, `"email" given twice`},
		{`{"email":"a@example.org","password":"hunter2","password":"x"}`, `"password" given twice`},
		{`{"email":"a@example.org","passwd":"hunter2"}`, "unknown member"},
		{`{"email":"a@example.org","password":"hunter2","id":1}`, "unknown member"},
		{`{"email":"a@example.org","password":42}`, `"password" is not a string`},
		{`{"email":null,"password":"hunter2"}`, `"email" is not a string`},
		{`{"email":["a@example.org"],"password":"hunter2"}`, `"email" is not a string`},
		{`{"email":{"x":1},"password":"hunter2"}`, `"email" is not a string`},
		{`{"email":"a@example.org","password":"hunter2"}{}`, "more after the JSON object"},
		{`{"email":"a@example.org","password":"hunter2"} x`, "more after the JSON object"},
		{`{"email":"a@example.org","password":"hunter2"`, "not valid JSON"},
		{`{"email":"a@example.org","password":"hunter2}`, "not valid JSON"},
		{`{"email":"a@example.org" "password":"hunter2"}`, "not valid JSON"},
		{`{"email":"a@example.org","password":"hunter2",}`, "not valid JSON"},
		{"{\"email\":\"a@example.org\",\"password\":\"hunter2\xff\"}", "not valid UTF-8"},
		{`{"email":"a@example.org","password":"hunter2\ud800"}`, "half of a UTF-16 pair"},
		{`{"email":"a@example.org","password":"hunter2\udfff-x"}`, "half of a UTF-16 pair"},
		{`{"email":"a@example.org","password":"hunter2\ud800\u0041"}`, "half of a UTF-16 pair"},
		{`{"email":"a@example.org\uDC00","password":"hunter2"}`, "half of a UTF-16 pair"},
		{`{"email":"a@example.org","password":"hunter2\uDBFF"}`, "half of a UTF-16 pair"},
		{`{"email":"a@example.org","password":"` + long + `x"}`, fmt.Sprintf("password longer than %d bytes", password.MaxPasswordBytes)},
	}
	for _, tt := range bad {
		got, err := user.ParseVerifyLine([]byte(tt.line))
		if err == nil || !errors.Is(err, user.ErrBadBatchLine) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseVerifyLine(%.60q) = %+v, %v; want an ErrBadBatchLine saying %q", tt.line, got, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseVerifyLine(%.60q) = %v; the message quotes the password", tt.line, err)
		}
	}
}

// FuzzParseVerifyLine checks that a line ParseVerifyLine accepts is one
// JSON object that encoding/json reads as exactly the same two strings,
// within the bounds, and that a refusal wraps ErrBadBatchLine.
func FuzzParseVerifyLine(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@example.org","password":"pw"}`,
		`{"email":"a@example.org","email":"b","password":"pw"}`,
		`{"email":"\ud800@x","password":"\u0000"}`,
		`{"password":"pw","email":"a"}{}`,
		"{\"email\":\"a\",\"password\":\"p\"}\r",
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		req, err := user.ParseVerifyLine(line)
		if err != nil {
			if !errors.Is(err, user.ErrBadBatchLine) {
				t.Fatalf("ParseVerifyLine(%q) = %v; want an error wrapping ErrBadBatchLine", line, err)
			}
			return
		}
		if req.Email == "" || req.Password == "" || len(req.Password) > password.MaxPasswordBytes {
			t.Fatalf("ParseVerifyLine(%q) = %+v; want a non-empty email and a password of 1..%d bytes", line, req, password.MaxPasswordBytes)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(strings.TrimSuffix(string(line), "\r")), &m); err != nil {
			t.Fatalf("ParseVerifyLine(%q) accepted what json.Unmarshal refuses: %v", line, err)
		}
		if len(m) != 2 || m["email"] != req.Email || m["password"] != req.Password {
			t.Fatalf("ParseVerifyLine(%q) = %+v; json.Unmarshal reads %v", line, req, m)
		}
		// U+FFFD comes only from the line itself, never from a decoding
		// that replaced what was sent.
		sent := strings.Contains(string(line), "\uFFFD") || strings.Contains(strings.ToLower(string(line)), `\ufffd`)
		if !sent && (strings.ContainsRune(req.Email, '\uFFFD') || strings.ContainsRune(req.Password, '\uFFFD')) {
			t.Fatalf("ParseVerifyLine(%q) = %+q: a replacement character the line did not send", line, req)
		}
	})
}

// batchLines is the input of the batch tests: one line of each kind, in an
// order where each kind follows another.
func batchInput(pw string) string {
	return strings.Join([]string{
		`{"email":"alice@example.org","password":"` + pw + `"}`,
		`{"email":"bob@example.org","password":"wrong password"}`,
		`not json`,
		`{"email":"nobody@example.org","password":"` + pw + `"}`,
		`{"email":"ALICE@example.org","password":"` + pw + `"}` + "\r",
		`{"email":"bob@example.org","password":"` + strings.Repeat("\\u0041", user.MaxBatchLine/6) + `"}`,
		``,
		`{"email":"bob@example.org","password":"` + pw + `"}`, // no newline at the end
	}, "\n")
}

// writes records each Write as one string.
// writes records each Write; safe for a reader while VerifyBatch writes.
type writes struct {
	mu  sync.Mutex
	got []string
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, string(p))
	return len(p), nil
}

func (w *writes) snapshot() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.got)
}

func TestVerifyBatch(t *testing.T) {
	var w waits
	svc, _, _ := newService(t, user.WithFailureFloor(3*time.Second), user.WithSleep(w.sleep))
	mustRegister(t, svc, "alice@example.org")
	bob := mustRegister(t, svc, "bob@example.org")

	var out writes
	sum, err := svc.VerifyBatch(context.Background(), strings.NewReader(batchInput(goodPassword)), &out)
	if err != nil {
		t.Fatalf("VerifyBatch: %v", err)
	}
	want := []string{
		`{"line":1,"email":"alice@example.org","ok":true}`,
		`{"line":2,"email":"bob@example.org","ok":false}`,
		`{"line":3,"ok":false,"error":"line 3: not a JSON object: want {\"email\": \"...\", \"password\": \"...\"}"}`,
		`{"line":4,"email":"nobody@example.org","ok":false}`,
		`{"line":5,"email":"ALICE@example.org","ok":true}`,
		fmt.Sprintf(`{"line":6,"ok":false,"error":"line 6: longer than %d bytes"}`, user.MaxBatchLine),
		`{"line":7,"ok":false,"error":"line 7: empty line"}`,
		`{"line":8,"email":"bob@example.org","ok":true}`,
	}
	if len(out.got) != len(want) {
		t.Fatalf("VerifyBatch wrote %d times:\n%s\nwant one write per line:\n%s", len(out.got), strings.Join(out.got, ""), strings.Join(want, "\n"))
	}
	for i := range want {
		if out.got[i] != want[i]+"\n" {
			t.Errorf("VerifyBatch answer %d = %q; want %q", i+1, out.got[i], want[i]+"\n")
		}
	}
	if sum != (user.BatchSummary{Lines: 8, OK: 3}) {
		t.Errorf("VerifyBatch summary = %+v; want 8 lines, 3 ok", sum)
	}
	// The two refused logins waited out the floor; the lines that were not
	// requests did not touch an account and did not wait.
	if got := w.take(); len(got) != 2 {
		t.Errorf("VerifyBatch waited %v; want two waits (lines 2 and 4)", got)
	}
	// Line 2 counted against bob, line 8 logged him in and cleared it.
	entries := auditOf(t, svc, bob.ID)
	if u := mustGet(t, svc, "bob@example.org"); u.FailedLogins != 0 || u.LastLoginAt.IsZero() {
		t.Errorf("bob after the batch: %d failed logins, last login %v; want 0 and set (entries %v)", u.FailedLogins, u.LastLoginAt, entries)
	}
}

// The lockout and its audit entry work across the lines of one batch as
// across single verifies: the threshold'th wrong password locks the
// account, and the right one is then refused.
func TestVerifyBatchLockout(t *testing.T) {
	svc, _, _ := newService(t)
	carol := mustRegister(t, svc, "carol@example.org")
	policy, err := svc.Lockout(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	for range policy.Threshold {
		in.WriteString(`{"email":"carol@example.org","password":"wrong"}` + "\n")
	}
	in.WriteString(`{"email":"carol@example.org","password":"` + goodPassword + `"}` + "\n")
	var out writes
	sum, err := svc.VerifyBatch(context.Background(), strings.NewReader(in.String()), &out)
	if err != nil {
		t.Fatalf("VerifyBatch: %v", err)
	}
	if sum.OK != 0 || sum.Lines != policy.Threshold+1 {
		t.Errorf("VerifyBatch summary = %+v; want %d lines, none ok", sum, policy.Threshold+1)
	}
	if got, want := out.got[len(out.got)-1], fmt.Sprintf(`{"line":%d,"email":"carol@example.org","ok":false}`+"\n", policy.Threshold+1); got != want {
		t.Errorf("answer to the right password on a locked account = %q; want %q", got, want)
	}
	if n := countAction(auditOf(t, svc, carol.ID), user.ActionLock); n != 1 {
		t.Errorf("audit has %d lock entries for carol; want 1", n)
	}
}

// Each answer is written before the next line is read: a program can send
// one request and wait for its answer.
func TestVerifyBatchAnswersBeforeNextLine(t *testing.T) {
	svc, _, _ := newService(t)
	mustRegister(t, svc, "alice@example.org")
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := svc.VerifyBatch(context.Background(), inR, outW)
		outW.CloseWithError(err)
		done <- err
	}()
	answers := bufio.NewScanner(outR)
	for i, pw := range []string{goodPassword, "wrong", goodPassword} {
		if _, err := fmt.Fprintf(inW, `{"email":"alice@example.org","password":%q}`+"\n", pw); err != nil {
			t.Fatal(err)
		}
		if !answers.Scan() {
			t.Fatalf("no answer to line %d with stdin still open: %v", i+1, answers.Err())
		}
		if want := fmt.Sprintf(`{"line":%d,"email":"alice@example.org","ok":%t}`, i+1, pw == goodPassword); answers.Text() != want {
			t.Errorf("answer %d = %s; want %s", i+1, answers.Text(), want)
		}
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Errorf("VerifyBatch after stdin closed: %v; want nil", err)
	}
}

// A batch blocked on its input ends when its context does; a read error
// ends it with the error, after answering the lines before.
func TestVerifyBatchEnds(t *testing.T) {
	svc, _, _ := newService(t)
	mustRegister(t, svc, "alice@example.org")

	ctx, cancel := context.WithCancel(context.Background())
	inR, inW := io.Pipe()
	defer inW.Close()
	done := make(chan error, 1)
	go func() {
		_, err := svc.VerifyBatch(ctx, inR, io.Discard)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("VerifyBatch after cancel = %v; want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("VerifyBatch still blocked on its input 10 s after its context ended")
	}

	errDisk := errors.New("input/output error")
	r := io.MultiReader(strings.NewReader(`{"email":"alice@example.org","password":"`+goodPassword+`"}`+"\n"), &failingReader{errDisk})
	var out writes
	sum, err := svc.VerifyBatch(context.Background(), r, &out)
	if !errors.Is(err, errDisk) || sum.Lines != 1 || len(out.got) != 1 {
		t.Errorf("VerifyBatch over a failing reader = %+v, %v, %d answers; want 1 line answered and %v", sum, err, len(out.got), errDisk)
	}
}

type failingReader struct{ err error }

func (r *failingReader) Read([]byte) (int, error) { return 0, r.err }

// A line of MaxBatchLine bytes is read, whatever its line ending; one byte
// more is refused unread.
func TestVerifyBatchLineLength(t *testing.T) {
	svc, _, _ := newService(t)
	mustRegister(t, svc, "alice@example.org")
	req := `{"email":"alice@example.org","password":"` + goodPassword + `"}`
	pad := func(n int) string { return req + strings.Repeat(" ", n-len(req)) }
	tests := []struct {
		line string
		want string
	}{
		{pad(user.MaxBatchLine) + "\n", `{"line":1,"email":"alice@example.org","ok":true}`},
		{pad(user.MaxBatchLine) + "\r\n", `{"line":1,"email":"alice@example.org","ok":true}`},
		{pad(user.MaxBatchLine), `{"line":1,"email":"alice@example.org","ok":true}`},
		{pad(user.MaxBatchLine+1) + "\n", fmt.Sprintf(`{"line":1,"ok":false,"error":"line 1: longer than %d bytes"}`, user.MaxBatchLine)},
		{pad(user.MaxBatchLine+1) + "\r\n", fmt.Sprintf(`{"line":1,"ok":false,"error":"line 1: longer than %d bytes"}`, user.MaxBatchLine)},
		{pad(user.MaxBatchLine + 1), fmt.Sprintf(`{"line":1,"ok":false,"error":"line 1: longer than %d bytes"}`, user.MaxBatchLine)},
		{pad(3*user.MaxBatchLine) + "\n", fmt.Sprintf(`{"line":1,"ok":false,"error":"line 1: longer than %d bytes"}`, user.MaxBatchLine)},
	}
	for _, tt := range tests {
		// A request follows, except after the last line of the input.
		in, want := tt.line, []string{tt.want + "\n"}
		if strings.HasSuffix(tt.line, "\n") {
			in += req + "\n"
			want = append(want, `{"line":2,"email":"alice@example.org","ok":true}`+"\n")
		}
		var out writes
		if _, err := svc.VerifyBatch(context.Background(), strings.NewReader(in), &out); err != nil {
			t.Fatalf("VerifyBatch: %v", err)
		}
		if !slices.Equal(out.got, want) {
			t.Errorf("VerifyBatch(a line of %d bytes, then %d more) = %q; want %q", len(tt.line), len(in)-len(tt.line), out.got, want)
		}
	}
}

// TestVerifyBatchChecksWhileAFailureWaits: while a failed login waits out
// the floor, the lines after it for other accounts are checked (their
// answers still wait, in order); a line for the same account is not
// checked until the failure before it has been counted, as a second
// 'user verify' run after the first would not be.
func TestVerifyBatchChecksWhileAFailureWaits(t *testing.T) {
	release := make(chan struct{})
	sleep := func(ctx context.Context, _ time.Duration) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return ctx.Err()
	}
	svc, _, _ := newService(t, user.WithFailureFloor(3*time.Second), user.WithSleep(sleep))
	mustRegister(t, svc, "alice@example.org")
	mustRegister(t, svc, "bob@example.org")
	input := strings.Join([]string{
		`{"email":"bob@example.org","password":"wrong password"}`,
		`{"email":"alice@example.org","password":"` + goodPassword + `"}`,
		`{"email":"BOB@example.org","password":"` + goodPassword + `"}`,
	}, "\n") + "\n"
	var out writes
	done := make(chan error, 1)
	go func() {
		_, err := svc.VerifyBatch(context.Background(), strings.NewReader(input), &out)
		done <- err
	}()
	// Alice logs in while bob's failure waits.
	deadline := time.Now().Add(10 * time.Second)
	for mustGet(t, svc, "alice@example.org").LastLoginAt.IsZero() {
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("alice's line was not checked while bob's failure waited out the floor")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(out.snapshot()); n != 0 {
		t.Errorf("%d answers written while line 1 waits; want none: answers keep the order of the lines", n)
	}
	if u := mustGet(t, svc, "bob@example.org"); !u.LastLoginAt.IsZero() {
		t.Errorf("bob's second line was checked before his first had been answered")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"line":1,"email":"bob@example.org","ok":false}` + "\n",
		`{"line":2,"email":"alice@example.org","ok":true}` + "\n",
		`{"line":3,"email":"BOB@example.org","ok":true}` + "\n",
	}
	if got := out.snapshot(); !slices.Equal(got, want) {
		t.Errorf("answers = %q; want %q", got, want)
	}
}
