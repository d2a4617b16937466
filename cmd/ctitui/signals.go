package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// stopSignals stop ctitui: Ctrl+C where the terminal is not in raw mode
// (SIGINT), kill and service managers (SIGTERM), a terminal or SSH session
// that closed (SIGHUP).
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// signalError is the cause (context.Cause) of a context that a signal ended.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "stopped by " + signalName(e.sig) }

// exitCode is 128 plus the signal's number, what a shell reports for a
// process that a signal ended, so that a script or service manager sees
// what stopped ctitui.
func (e signalError) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok && s > 0 && s < 128 {
		return 128 + int(s)
	}
	return exitInterrupted
}

func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sig.String()
}

// stoppedBy returns the signal that ended ctx, if one did.
func stoppedBy(ctx context.Context) (signalError, bool) {
	var se signalError
	ok := ctx.Err() != nil && errors.As(context.Cause(ctx), &se)
	return se, ok
}

// withSignals returns a context that the first of stopSignals ends, with a
// signalError as its cause. It is the one place where ctitui catches
// signals: everything that must stop (a command's database work, a prompt,
// the terminal UI, whose own handler is off) watches this context. Two
// handlers of one signal are what hung the terminal UI: bubbletea's and
// ctitui's both took SIGTERM, one cancelled the program while the other
// waited forever to hand it a quit message (bubbletea PR #1806).
//
// Only the first signal is caught. Then the signals act as if ctitui had
// never asked for them, so that a second one ends the process at once,
// should stopping ever hang. A signal ignored when ctitui started (nohup, a
// background job of a script) stays ignored.
func withSignals(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	var sigs []os.Signal
	for _, s := range stopSignals {
		if !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) == 0 {
		// Notify with no signals would catch every signal.
		return ctx, func() { cancel(nil) }
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(signalError{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}
