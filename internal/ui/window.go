package ui

import (
	"context"
	"slices"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// A screen over a long listing (the users, the audit log) holds a window of
// rows around the cursor, never the whole listing: windowChunk rows are
// fetched at a time by keyset pagination, a fetch starts when the cursor
// comes within prefetchMargin rows of an edge of the window that is not an
// end of the listing, and the far side is trimmed past maxWindow rows.
const (
	windowChunk    = 200
	prefetchMargin = 100
	maxWindow      = 1000
	// maxPending caps the movement kept for rows not loaded yet (see
	// window.move): a key held down, or typed far ahead, moves at most a
	// whole window past the rows loaded when it was pressed.
	maxPending = maxWindow
)

// pager reads a listing a page at a time. A screen makes one for the
// listing it shows (its order, filter and search) on the update path; the
// window uses it off it.
type pager[R any] interface {
	// page returns up to n rows next to from, in walking order: forward
	// the rows after from (from included, with inclusive), backward those
	// before it, nearest first. From nil, it walks from the listing's first
	// row forward, from its last backward.
	page(ctx context.Context, from *R, backward, inclusive bool, n int) ([]R, error)
	// same reports whether a and b are the same row, as it was or changed.
	same(a, b R) bool
}

// window is a cursor over the rows of a listing that are loaded.
type window[R any] struct {
	rows        []R
	cursor, top int
	// atStart and atEnd report whether rows holds the listing's first and
	// last rows.
	atStart, atEnd bool
	// pending is movement asked for past an edge of the window that is not
	// an edge of the listing, while the rows there load: keys pressed faster
	// than pages arrive. It is applied as they arrive, and dropped by a new
	// window.
	pending int
	// offset is the number of rows of the listing before rows[0], when
	// offsetKnown: 0 for a window that holds the listing's first row, kept
	// as pages are added and trimmed, and otherwise counted (see
	// Model.countPosition, which sets positioning while it runs, and
	// tooFar when the window is too far from both ends to count).
	offset                           int
	offsetKnown, positioning, tooFar bool

	// seq numbers the windows; answers for an earlier one, such as a search
	// the user has typed past, are dropped, and cancelling ctx stops the
	// queries still running for it. loading is set until a new window's
	// rows land: until then the rows shown belong to the one before, and
	// nothing may be fetched to extend them, as a page asked for with the
	// new seq would be grafted onto the new window.
	seq                      int
	ctx                      context.Context
	cancel                   context.CancelFunc
	loading                  bool
	fetchingUp, fetchingDown bool
}

// pageMsg carries rows fetched for window seq.
type pageMsg[R any] struct {
	seq  int
	kind pageKind
	rows []R
	// atStart and atEnd report whether the rows reach the listing's first
	// and last row: for a new window, both; for an appended page, atEnd;
	// for a prepended one, atStart.
	atStart, atEnd bool
	// at is the row a new window puts the cursor on.
	at  int
	err error
}

type pageKind int

const (
	pageReplace pageKind = iota // a new window
	pageAppend                  // rows after the window
	pagePrepend                 // rows before the window
)

// fetch reads up to n rows next to from (see pager.page), in the listing's
// order, and reports whether the listing goes on past them.
func fetch[R any](ctx context.Context, p pager[R], from *R, backward, inclusive bool, n int) (rows []R, more bool, err error) {
	rows, err = p.page(ctx, from, backward, inclusive, n+1)
	if len(rows) > n {
		rows, more = rows[:n], true
	}
	if backward {
		slices.Reverse(rows)
	}
	return rows, more, err
}

// restart begins a new window: answers for the ones before are dropped, and
// their queries cancelled, so that fast typing does not pile up scans.
func (w *window[R]) restart() (seq int, ctx context.Context) {
	if w.cancel != nil {
		w.cancel()
	}
	w.seq++
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.loading = true
	w.fetchingUp, w.fetchingDown = false, false
	w.pending = 0
	w.positioning, w.tooFar = false, false
	return w.seq, w.ctx
}

// first loads a new window from the listing's first n rows, the cursor on
// keep when it is among them and on row at when not.
func (w *window[R]) first(p pager[R], n int, keep *R, at int) tea.Cmd {
	seq, ctx := w.restart()
	var k R
	if keep != nil {
		k = *keep // a copy: the window's rows change while this runs
	}
	return func() tea.Msg {
		rows, more, err := fetch(ctx, p, nil, false, false, n)
		if keep != nil {
			at = place(p, rows, k, at)
		}
		return pageMsg[R]{seq: seq, kind: pageReplace, rows: rows, atStart: true, atEnd: !more, at: at, err: err}
	}
}

// last loads a new window from the listing's last rows, the cursor on the
// last.
func (w *window[R]) last(p pager[R]) tea.Cmd {
	seq, ctx := w.restart()
	return func() tea.Msg {
		rows, more, err := fetch(ctx, p, nil, true, false, windowChunk)
		return pageMsg[R]{seq: seq, kind: pageReplace, rows: rows, atStart: !more, atEnd: true, at: len(rows) - 1, err: err}
	}
}

// around loads a new window around the place of row in the listing, row
// there or not, the cursor on row wherever it is in the window and on its
// place when it is not. This is how a screen keeps its place when rows
// change under it. With orFirst, a listing that does not hold row at its
// place loads from its first row instead.
func (w *window[R]) around(p pager[R], row R, orFirst bool) tea.Cmd {
	seq, ctx := w.restart()
	return func() tea.Msg {
		before, moreBefore, err := fetch(ctx, p, &row, true, false, windowChunk/2)
		if err != nil {
			return pageMsg[R]{seq: seq, err: err}
		}
		after, moreAfter, err := fetch(ctx, p, &row, false, true, windowChunk)
		if err != nil {
			return pageMsg[R]{seq: seq, err: err}
		}
		if orFirst && (len(after) == 0 || !p.same(after[0], row)) {
			rows, more, err := fetch(ctx, p, nil, false, false, windowChunk)
			return pageMsg[R]{seq: seq, kind: pageReplace, rows: rows, atStart: true, atEnd: !more, err: err}
		}
		rows := slices.Concat(before, after)
		return pageMsg[R]{seq: seq, kind: pageReplace, rows: rows, atStart: !moreBefore, atEnd: !moreAfter, at: place(p, rows, row, len(before))}
	}
}

// place returns the index of row in rows, or at when it is not there.
func place[R any](p pager[R], rows []R, row R, at int) int {
	if i := slices.IndexFunc(rows, func(r R) bool { return p.same(r, row) }); i >= 0 {
		return i
	}
	return at
}

// extend fetches more rows when the cursor nears an edge of the window that
// is not an edge of the listing, on a screen of lines rows.
func (w *window[R]) extend(p pager[R], lines int) tea.Cmd {
	if w.loading || len(w.rows) == 0 {
		return nil
	}
	margin := max(prefetchMargin, 2*lines)
	seq, ctx := w.seq, w.ctx
	var cmds []tea.Cmd
	if !w.atEnd && !w.fetchingDown && len(w.rows)-1-w.cursor < margin {
		w.fetchingDown = true
		last := w.rows[len(w.rows)-1]
		cmds = append(cmds, func() tea.Msg {
			rows, more, err := fetch(ctx, p, &last, false, false, windowChunk)
			return pageMsg[R]{seq: seq, kind: pageAppend, rows: rows, atEnd: !more, err: err}
		})
	}
	if !w.atStart && !w.fetchingUp && w.cursor < margin {
		w.fetchingUp = true
		first := w.rows[0]
		cmds = append(cmds, func() tea.Msg {
			rows, more, err := fetch(ctx, p, &first, true, false, windowChunk)
			return pageMsg[R]{seq: seq, kind: pagePrepend, rows: rows, atStart: !more, err: err}
		})
	}
	return tea.Batch(cmds...)
}

// apply puts msg into the window, on a screen of lines rows, and reports
// whether it belongs to this window: a page for an earlier one is dropped.
// A failed page changes no rows.
func (w *window[R]) apply(msg pageMsg[R], lines int) bool {
	if msg.seq != w.seq {
		return false
	}
	switch msg.kind {
	case pageAppend:
		w.fetchingDown = false
	case pagePrepend:
		w.fetchingUp = false
	default:
		// A new window: no fetch can be running for it yet.
		w.loading, w.fetchingUp, w.fetchingDown = false, false, false
	}
	if msg.err != nil {
		w.pending = 0
		return true
	}
	switch msg.kind {
	case pageReplace:
		// The cursor keeps its line on the screen, except that a screen
		// that showed the listing's first row still does, so that rows
		// that arrived above come into view.
		line, showedFirst := w.cursor-w.top, w.top == 0 && w.atStart
		w.rows, w.atStart, w.atEnd, w.pending = msg.rows, msg.atStart, msg.atEnd, 0
		w.offset, w.offsetKnown = 0, false
		w.cursor, w.top = msg.at, msg.at-line
		if showedFirst && w.atStart {
			w.top = 0
		}
		w.clamp(lines)
		// A refresh can bring more than a window: keep the side of the cursor.
		if extra := len(w.rows) - maxWindow; extra > 0 {
			if w.cursor < maxWindow-prefetchMargin {
				w.rows, w.atEnd = w.rows[:maxWindow], false
			} else {
				w.rows, w.atStart = w.rows[extra:], false
				w.cursor, w.top = w.cursor-extra, w.top-extra
				w.offset += extra
			}
		}
	case pageAppend:
		w.rows = append(w.rows, msg.rows...)
		w.atEnd = msg.atEnd
		w.move(0, lines) // keys pressed while the rows loaded
		if extra := len(w.rows) - maxWindow; extra > 0 && w.cursor-extra > prefetchMargin {
			w.rows = slices.Delete(w.rows, 0, extra)
			w.cursor -= extra
			w.top -= extra
			w.atStart = false
			w.offset += extra
		}
	case pagePrepend:
		w.rows = append(msg.rows, w.rows...)
		w.cursor += len(msg.rows)
		w.top += len(msg.rows)
		w.atStart = msg.atStart
		w.offset -= len(msg.rows)
		w.move(0, lines)
		if extra := len(w.rows) - maxWindow; extra > 0 && len(w.rows)-extra-1-w.cursor > prefetchMargin {
			w.rows = w.rows[:len(w.rows)-extra]
			w.atEnd = false
		}
	}
	if w.atStart {
		w.offset, w.offsetKnown = 0, true
	}
	w.clamp(lines)
	return true
}

// move moves the cursor delta rows, after any pending movement, on a screen
// of lines rows. What goes past an edge of the window that is not an edge
// of the listing is kept in pending, up to maxPending. move(0, ...) applies
// the pending movement to rows that arrived.
func (w *window[R]) move(delta, lines int) {
	n := len(w.rows)
	want := w.cursor + w.pending + delta
	w.cursor, w.top = clampWindow(want, w.top, n, lines)
	switch over := want - w.cursor; {
	case n > 0 && over > 0 && !w.atEnd:
		w.pending = min(over, maxPending)
	case n > 0 && over < 0 && !w.atStart:
		w.pending = max(over, -maxPending)
	default:
		w.pending = 0
	}
}

// scrollKey answers a key that moves the cursor, on a screen of lines rows,
// and reports whether msg is one: the cursor moves, then extend fetches the
// rows it nears. g and G go to the listing's ends, in the window when it
// holds them, else by first or last, which load a new window.
func (w *window[R]) scrollKey(msg tea.KeyMsg, k KeyMap, lines int, extend, first, last func() tea.Cmd) (tea.Cmd, bool) {
	var delta int
	switch {
	case key.Matches(msg, k.Up):
		delta = -1
	case key.Matches(msg, k.Down):
		delta = 1
	case key.Matches(msg, k.PageUp):
		delta = -lines
	case key.Matches(msg, k.PageDown):
		delta = lines
	case key.Matches(msg, k.Top):
		w.pending = 0 // g and G go where they go, whatever was pending
		if !w.atStart {
			return first(), true
		}
		delta = -len(w.rows)
	case key.Matches(msg, k.Bottom):
		w.pending = 0
		if !w.atEnd {
			return last(), true
		}
		delta = len(w.rows)
	default:
		return nil, false
	}
	w.move(delta, lines)
	return extend(), true
}

// clamp keeps the cursor on a row and the row on a screen of lines rows.
func (w *window[R]) clamp(lines int) {
	w.cursor, w.top = clampWindow(w.cursor, w.top, len(w.rows), lines)
}

// selected returns the row under the cursor.
func (w *window[R]) selected() (R, bool) {
	if len(w.rows) == 0 {
		var zero R
		return zero, false
	}
	return w.rows[w.cursor], true
}
