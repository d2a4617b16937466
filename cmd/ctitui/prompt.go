package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

// terminalFd returns the descriptor of stdin when it is a terminal.
func (a *app) terminalFd() (int, bool) {
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// readPassword gets a password without it ever being a command-line
// argument: one line of stdin with --password-stdin, else a prompt without
// echo on the terminal, asked twice when confirm is set. Either way a
// password longer than password.MaxPasswordBytes is refused, and stdin is
// not read much past that: a hostile or mistaken pipe (/dev/zero, a
// gigabyte without a newline) costs a few kilobytes, not the whole line.
func (a *app) readPassword(fromStdin, confirm bool) (string, error) {
	if fromStdin {
		line, err := a.interruptible(-1, func() (string, error) { return readLine(a.stdin, password.MaxPasswordBytes) })
		if errors.Is(err, errLineTooLong) {
			return "", usagef("password on stdin is longer than %d bytes", password.MaxPasswordBytes)
		}
		if errors.Is(err, errInterrupted) {
			return "", err
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		if line == "" {
			return "", usagef("no password on stdin")
		}
		return line, nil
	}
	fd, ok := a.terminalFd()
	if !ok {
		return "", usagef("stdin is not a terminal: pass the password on stdin with --password-stdin")
	}
	first, err := a.prompt(fd, "Password: ")
	if err != nil {
		return "", err
	}
	if !confirm {
		return first, nil
	}
	second, err := a.prompt(fd, "Repeat password: ")
	if err != nil {
		return "", err
	}
	if first != second {
		return "", user.ErrPasswordMismatch
	}
	return first, nil
}

func (a *app) prompt(fd int, label string) (string, error) {
	tellf(a.stderr, "%s", label)
	plain, err := a.interruptible(fd, func() (string, error) {
		b, err := term.ReadPassword(fd)
		return string(b), err
	})
	tellf(a.stderr, "\n")
	if errors.Is(err, errInterrupted) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if plain == "" {
		return "", usagef("empty password")
	}
	if len(plain) > password.MaxPasswordBytes {
		return "", usagef("password is longer than %d bytes", password.MaxPasswordBytes)
	}
	return plain, nil
}

// errLineTooLong reports a line of input longer than readLine's limit.
var errLineTooLong = errors.New("line too long")

// maxAnswerBytes bounds a line typed to confirm a command: an email or an
// id, or "y".
const maxAnswerBytes = 4096

// readLine reads one line of r, without its line ending, reading at most
// limit+2 bytes: a longer line is errLineTooLong. The error is io.EOF when r
// ended before a newline.
func readLine(r io.Reader, limit int) (string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, int64(limit)+2), 512).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if len(line) > limit {
		return "", errLineTooLong
	}
	return line, err
}

// errInterrupted reports a Ctrl+C (or SIGTERM) while ctitui waited for input.
var errInterrupted = errors.New("interrupted")

// interruptible runs read, a blocking read of the terminal or stdin, and
// gives up when the command's context ends: main turns Ctrl+C into that, and
// a read that ignored it would take the next line typed, perhaps a shell
// command, as the answer. When fd is a terminal its mode is restored, since
// the abandoned read may have turned echo off.
func (a *app) interruptible(fd int, read func() (string, error)) (string, error) {
	var state *term.State
	if fd >= 0 {
		state, _ = term.GetState(fd)
	}
	type result struct {
		text string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		text, err := read()
		done <- result{text, err}
	}()
	select {
	case r := <-done:
		return r.text, r.err
	case <-a.ctx.Done():
		if state != nil {
			// Interrupted is what to report; the terminal is put back as
			// well as it can be.
			term.Restore(fd, state) //nolint:errcheck // see above
		}
		return "", errInterrupted
	}
}

// confirmLine asks question on the terminal and returns the line typed.
func (a *app) confirmLine(question string) (string, error) {
	tellf(a.stderr, "%s", question)
	line, err := a.interruptible(-1, func() (string, error) { return readLine(a.stdin, maxAnswerBytes) })
	if errors.Is(err, errLineTooLong) {
		return "", usagef("answer longer than %d bytes", maxAnswerBytes)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		if errors.Is(err, errInterrupted) {
			tellf(a.stderr, "\n")
		}
		return "", err
	}
	return strings.TrimSpace(line), nil
}
