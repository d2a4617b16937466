//go:build linux

package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// TestDoctorProgressOnlyOnATerminal: doctor's progress line is drawn on a
// terminal once the look takes longer than its delay, and cleared at the
// end; on a pipe or a file nothing is ever written.
func TestDoctorProgressOnlyOnATerminal(t *testing.T) {
	tty, master := openPTY(t)
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(master)
		got <- b
	}()
	a := &app{stderr: tty}
	p := a.doctorProgress()
	p.after = 0
	p.begin()
	p.show("integrity")
	// The line is drawn at the first tick after the delay.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		p.mu.Lock()
		drawn := p.drawn
		p.mu.Unlock()
		if drawn {
			break
		}
	}
	p.stop()
	tty.Close()
	out := string(<-got)
	if !strings.Contains(out, "\rdoctor: checking integrity…") || !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("progress on a terminal = %q; want the check's name, and the line cleared at the end", out)
	}

	var buf bytes.Buffer
	a = &app{stderr: &buf}
	p = a.doctorProgress()
	p.after = 0
	p.begin()
	p.show("integrity")
	time.Sleep(500 * time.Millisecond) // two ticks' time, were there a ticker
	p.stop()
	if buf.Len() > 0 {
		t.Errorf("progress on a pipe = %q; want nothing", buf.String())
	}
}
