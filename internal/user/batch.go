package user

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"unicode/utf8"

	"github.com/ctitui/ctitui/internal/password"
)

// MaxBatchLine is the longest line, in bytes without its line ending, that
// VerifyBatch reads. It holds the longest request that can succeed, a
// password of password.MaxPasswordBytes written entirely as \uXXXX escapes
// (six bytes a byte) beside an email of the same, with room to spare; a
// longer line is answered with an error and skipped without being held in
// memory.
const MaxBatchLine = 64 << 10

// ErrBadBatchLine is wrapped by the errors of ParseVerifyLine.
var ErrBadBatchLine = errors.New("not a verify request")

// VerifyRequest is one line of VerifyBatch's input.
type VerifyRequest struct {
	Email    string
	Password string
}

// VerifyAnswer is one line of VerifyBatch's output. Error is set only for a
// line that was not checked (it could not be read as a request) or whose
// check could not be carried out (the database could not be written); a
// wrong password, like every refused login, is OK false without an Error,
// so that the answer tells no more than the single 'user verify' does.
type VerifyAnswer struct {
	Line  int    `json:"line"`
	Email string `json:"email,omitempty"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// BatchSummary counts the lines VerifyBatch answered.
type BatchSummary struct {
	Lines int // lines answered
	OK    int // of which logged in
}

// ParseVerifyLine reads one line of VerifyBatch's input: a JSON object with
// exactly the string members "email" and "password", both non-empty, the
// password at most password.MaxPasswordBytes bytes, in valid UTF-8, with
// nothing after the object. A trailing "\r" is allowed. Anything else is
// an error wrapping ErrBadBatchLine whose message never quotes the line,
// which holds a password.
//
// Duplicate members are refused rather than resolved: encoding/json keeps
// the last, another program in the pipeline may have looked at the first,
// and the two would check different accounts.
func ParseVerifyLine(line []byte) (VerifyRequest, error) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	bad := func(format string, args ...any) (VerifyRequest, error) {
		return VerifyRequest{}, badLineError(fmt.Sprintf(format, args...))
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return bad("empty line")
	}
	// encoding/json would turn invalid UTF-8 into U+FFFD, a different
	// password than the bytes sent.
	if !utf8.Valid(line) {
		return bad("not valid UTF-8")
	}
	// So would an escape of half of a UTF-16 pair (\ud800 alone).
	if loneSurrogateEscape(line) {
		return bad(`an escape of half of a UTF-16 pair (\ud800-\udfff without its other half)`)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return bad(`not a JSON object: want {"email": "...", "password": "..."}`)
	}
	var (
		req                VerifyRequest
		haveEmail, havePwd bool
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad("not valid JSON")
		}
		key, _ := tok.(string)
		if tok, err = dec.Token(); err != nil {
			return bad("not valid JSON")
		}
		value, isString := tok.(string)
		var have *bool
		var dst *string
		switch key {
		case "email":
			have, dst = &haveEmail, &req.Email
		case "password":
			have, dst = &havePwd, &req.Password
		default:
			return bad(`unknown member: only "email" and "password" are read`)
		}
		switch {
		case *have:
			return bad("%q given twice", key)
		case !isString:
			return bad("%q is not a string", key)
		}
		*have, *dst = true, value
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return bad("not valid JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad("more after the JSON object: one request a line")
	}
	switch {
	case !haveEmail || req.Email == "":
		return bad(`no "email"`)
	case !havePwd || req.Password == "":
		return bad(`no "password"`)
	case len(req.Password) > password.MaxPasswordBytes:
		return bad("password longer than %d bytes", password.MaxPasswordBytes)
	}
	return req, nil
}

// badLineError is what is wrong with a line; it wraps ErrBadBatchLine
// without repeating it, so that answers read "line 3: no \"email\"".
type badLineError string

func (e badLineError) Error() string { return string(e) }
func (e badLineError) Unwrap() error { return ErrBadBatchLine }

// batchLine is one line read by readBatchLines.
type batchLine struct {
	text    []byte // without its "\n"
	tooLong bool   // the line was longer than MaxBatchLine and text is empty
	err     error  // a read error other than io.EOF; the last item sent
}

// readBatchLines sends r's lines to lines until r ends or fails, or ctx
// ends, and then closes lines. A line longer than MaxBatchLine is read to
// its end and dropped, so memory stays bounded whatever r holds.
func readBatchLines(ctx context.Context, r io.Reader, lines chan<- batchLine) {
	defer close(lines)
	br := bufio.NewReaderSize(r, MaxBatchLine+2) // the line, "\r\n"
	send := func(l batchLine) bool {
		select {
		case lines <- l:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		text, err := br.ReadSlice('\n')
		tooLong := false
		for errors.Is(err, bufio.ErrBufferFull) {
			tooLong = true
			_, err = br.ReadSlice('\n')
		}
		text = bytes.TrimSuffix(text, []byte("\n"))
		if len(bytes.TrimSuffix(text, []byte("\r"))) > MaxBatchLine {
			tooLong = true
		}
		if tooLong {
			text = nil
		} else {
			// ReadSlice's slice is overwritten by the next read, which
			// this goroutine starts before the line is answered.
			text = bytes.Clone(text)
		}
		// At the end of r, what follows the last "\n" is a line if there
		// is anything.
		if err == nil || len(text) > 0 || tooLong {
			if !send(batchLine{text: text, tooLong: tooLong}) {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				send(batchLine{err: err})
			}
			return
		}
	}
}

// VerifyBatch answers login checks read from r, one JSON object a line (see
// ParseVerifyLine), with one VerifyAnswer a line written to w, in the order
// of the lines, each in a single Write as soon as it and every answer before
// it are known. Each request is one Verify, with its lockout, audit and
// failure floor. Up to batchWorkers lines are checked at once, so that a
// stream of logins uses every core and a failed login (answered no sooner
// than the floor after its check began) does not stop the checks after it;
// it still holds up their answers, which keep the order of the lines. Lines
// for the same account are checked one after another, in order, exactly as
// separate 'user verify' runs one after another would be: the lockout sees
// each failure before the next attempt. A line that is not a request (or is
// longer than MaxBatchLine) is answered with an Error and counts towards no
// account; the lines after it are read as usual.
//
// VerifyBatch returns when r ends, with a nil error whatever the answers
// were; or with an error when r cannot be read, an answer cannot be
// written, or ctx ends (a signal), having answered the lines before.
func (s *Service) VerifyBatch(ctx context.Context, r io.Reader, w io.Writer) (BatchSummary, error) {
	var sum BatchSummary
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines := make(chan batchLine)
	go readBatchLines(ctx, r, lines)

	// pending holds, in line order, where each line's answer will arrive;
	// its capacity bounds the lines in flight (and so the argon2id memory).
	pending := make(chan chan batchResult, batchWorkers)
	dispatchErr := make(chan error, 1)
	go func() {
		defer close(pending)
		dispatchErr <- s.dispatchBatch(ctx, lines, pending)
	}()
	for res := range pending {
		var a batchResult
		select {
		case a = <-res:
		case <-ctx.Done():
			return sum, fmt.Errorf("verify batch: %w", ctx.Err())
		}
		if a.err != nil {
			return sum, a.err
		}
		out, err := json.Marshal(a.answer)
		if err != nil {
			return sum, fmt.Errorf("verify batch: line %d: %w", a.answer.Line, err)
		}
		if _, err := w.Write(append(out, '\n')); err != nil {
			return sum, fmt.Errorf("verify batch: write answer %d: %w", a.answer.Line, err)
		}
		sum.Lines++
		if a.answer.OK {
			sum.OK++
		}
	}
	if err := <-dispatchErr; err != nil {
		return sum, err
	}
	return sum, nil
}

// batchWorkers bounds the lines VerifyBatch checks at once: two per core,
// so that the cores stay busy while some checks wait out the failure
// floor, each holding argon2id's memory (19 MiB by default) while it hashes.
var batchWorkers = 2 * runtime.GOMAXPROCS(0)

// batchResult is the answer to one line, or the error that ends the batch.
type batchResult struct {
	answer VerifyAnswer
	err    error
}

// dispatchBatch starts a check for each line read, in order, queueing where
// its answer will arrive on pending (which blocks while batchWorkers lines
// are in flight). A line for an account waits for the line before it for
// the same account to be answered.
func (s *Service) dispatchBatch(ctx context.Context, lines <-chan batchLine, pending chan<- chan batchResult) error {
	last := map[string]chan batchResult{} // by normalised email: the newest line's answer
	for n := 1; ; n++ {
		var l batchLine
		var more bool
		select {
		case l, more = <-lines:
		case <-ctx.Done():
			return fmt.Errorf("verify batch: %w", ctx.Err())
		}
		if !more {
			return nil
		}
		if l.err != nil {
			return fmt.Errorf("verify batch: read line %d: %w", n, l.err)
		}
		res := make(chan batchResult, 1)
		select {
		case pending <- res:
		case <-ctx.Done():
			return fmt.Errorf("verify batch: %w", ctx.Err())
		}
		// The account is known before the check starts, so that the next
		// line for it can wait for this one. A line that is not a request
		// names none.
		var before chan batchResult
		key := ""
		if req, err := ParseVerifyLine(l.text); err == nil && !l.tooLong {
			key = NormalizeEmail(req.Email)
			before = last[key]
		}
		done := make(chan batchResult, 1)
		if key != "" {
			last[key] = done
		}
		go func() {
			if before != nil {
				select {
				case <-before:
				case <-ctx.Done():
				}
			}
			a, err := s.answer(ctx, n, l)
			done <- batchResult{a, err}
			res <- batchResult{a, err}
		}()
	}
}

// answer checks line n. Its error ends the batch: the context ended.
func (s *Service) answer(ctx context.Context, n int, l batchLine) (VerifyAnswer, error) {
	a := VerifyAnswer{Line: n}
	if l.tooLong {
		a.Error = fmt.Sprintf("line %d: longer than %d bytes", n, MaxBatchLine)
		return a, nil
	}
	req, err := ParseVerifyLine(l.text)
	if err != nil {
		a.Error = fmt.Sprintf("line %d: %v", n, err)
		return a, nil
	}
	a.Email = req.Email
	_, err = s.Verify(ctx, req.Email, req.Password)
	switch {
	case err == nil:
		a.OK = true
	case ctx.Err() != nil:
		return a, fmt.Errorf("verify batch: line %d: %w", n, ctx.Err())
	case !errors.Is(err, ErrInvalidCredentials):
		// What the single 'user verify' prints on stderr: the failure
		// could not be recorded (a full disk, a read-only file).
		a.Error = err.Error()
	}
	return a, nil
}

// loneSurrogateEscape reports whether line holds a \u escape of a UTF-16
// surrogate that is not a high one (D800-DBFF) directly followed by an
// escape of a low one (DC00-DFFF): encoding/json decodes it as U+FFFD.
func loneSurrogateEscape(line []byte) bool {
	hex4 := func(i int) (rune, bool) { // the four hex digits of a \u escape at line[i]
		if i+6 > len(line) || line[i] != '\\' || line[i+1] != 'u' {
			return 0, false
		}
		var r rune
		for _, c := range line[i+2 : i+6] {
			switch {
			case '0' <= c && c <= '9':
				r = r<<4 | rune(c-'0')
			case 'a' <= c && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case 'A' <= c && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	for i := 0; i < len(line); i++ {
		if line[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // an escaped character, perhaps a backslash: not the start of another escape
			continue
		}
		switch {
		case 0xDC00 <= r && r <= 0xDFFF:
			return true
		case 0xD800 <= r && r <= 0xDBFF:
			low, ok := hex4(i + 6)
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return true
			}
			i += 11
		default:
			i += 5
		}
	}
	return false
}
