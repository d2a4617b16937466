package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

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
// echo on the terminal, asked twice when confirm is set.
func (a *app) readPassword(fromStdin, confirm bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(a.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
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
	fmt.Fprint(a.stderr, label)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if len(b) == 0 {
		return "", usagef("empty password")
	}
	return string(b), nil
}

// confirmLine asks question on the terminal and returns the line typed.
func (a *app) confirmLine(question string) (string, error) {
	fmt.Fprint(a.stderr, question)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimSpace(line), nil
}
