package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// helpColumnGap separates the columns of the full help.
const helpColumnGap = "   "

// screenHelp returns the keys of the screen showing.
func (m *Model) screenHelp() bindingHelp {
	switch m.screen {
	case screenDetails:
		return m.detailsHelp()
	case screenRegister, screenPassword:
		return m.formHelp()
	case screenRoles:
		return m.rolesHelp()
	case screenConfirmDisable, screenConfirmDelete:
		return m.confirmHelp()
	case screenAudit:
		return m.auditHelp()
	}
	return m.listHelp()
}

// helpView draws h for the terminal's width: one line of the keys used
// most, or with the full help on, every key in columns.
func (m *Model) helpView(h bindingHelp) string {
	if m.help.ShowAll {
		return m.fullHelpView(h.FullHelp())
	}
	return m.shortHelpView(h)
}

// helpHeight is how many lines helpView(h) takes.
func (m *Model) helpHeight(h bindingHelp) int {
	if !m.help.ShowAll {
		return 1
	}
	return lipgloss.Height(m.fullHelpView(h.FullHelp()))
}

// bodyHeight is how many lines a screen whose keys are h has above the
// status line and the help.
func (m *Model) bodyHeight(h bindingHelp) int {
	return max(m.height-1-m.helpHeight(h), 0)
}

func enabled(bindings []key.Binding) []key.Binding {
	var out []key.Binding
	for _, b := range bindings {
		if b.Enabled() && b.Help().Key != "" {
			out = append(out, b)
		}
	}
	return out
}

// shortHelpView draws h's short help on one line. The keys that always
// show (how to see more keys, how to leave) end the line at every width;
// the others are left out from the last when the line is too long, so
// that bubbles/help's own "…" never takes their place.
func (m *Model) shortHelpView(h bindingHelp) string {
	st := m.help.Styles
	sep := st.ShortSeparator.Inline(true).Render(m.help.ShortSeparator)
	item := func(b key.Binding) string {
		return st.ShortKey.Inline(true).Render(b.Help().Key) + " " + st.ShortDesc.Inline(true).Render(b.Help().Desc)
	}
	var always []string
	for _, b := range enabled(h.always) {
		always = append(always, item(b))
	}
	optional := enabled(h.short)
	for n := len(optional); ; n-- {
		var parts []string
		for _, b := range optional[:n] {
			parts = append(parts, item(b))
		}
		line := strings.Join(append(parts, always...), sep)
		if n == 0 || ansi.StringWidth(line) <= m.width {
			return fit(line, m.width)
		}
	}
}

// fullHelpView draws every key of groups in columns. A column per group, as
// bubbles/help draws it, when they fit side by side; else every key flows
// down the fewest rows whose columns fit, so that a narrow terminal keeps
// every key rather than cutting columns off.
func (m *Model) fullHelpView(groups [][]key.Binding) string {
	var cols [][]key.Binding
	var flat []key.Binding
	for _, g := range groups {
		if g = enabled(g); len(g) > 0 {
			cols = append(cols, g)
			flat = append(flat, g...)
		}
	}
	if len(flat) == 0 {
		return ""
	}
	if block, ok := m.helpColumns(cols); ok {
		return block
	}
	for rows := 1; rows < len(flat); rows++ {
		var chunks [][]key.Binding
		for i := 0; i < len(flat); i += rows {
			chunks = append(chunks, flat[i:min(i+rows, len(flat))])
		}
		if block, ok := m.helpColumns(chunks); ok {
			return block
		}
	}
	block, _ := m.helpColumns([][]key.Binding{flat})
	return fitBlock(block, m.width)
}

// helpColumns draws cols side by side, the keys of each column aligned,
// and reports whether they fit in the terminal's width.
func (m *Model) helpColumns(cols [][]key.Binding) (string, bool) {
	st := m.help.Styles
	rows := 0
	for _, c := range cols {
		rows = max(rows, len(c))
	}
	lines := make([]string, rows)
	total := 0
	for ci, c := range cols {
		keyWidth, width := 0, 0
		for _, b := range c {
			keyWidth = max(keyWidth, ansi.StringWidth(b.Help().Key))
		}
		for _, b := range c {
			width = max(width, keyWidth+1+ansi.StringWidth(b.Help().Desc))
		}
		total += width
		if ci > 0 {
			total += len(helpColumnGap)
		}
		for r := range rows {
			if ci > 0 {
				lines[r] += st.FullSeparator.Inline(true).Render(helpColumnGap)
			}
			if r >= len(c) {
				if ci < len(cols)-1 {
					lines[r] += strings.Repeat(" ", width)
				}
				continue
			}
			k, d := c[r].Help().Key, c[r].Help().Desc
			text := st.FullKey.Inline(true).Render(k+strings.Repeat(" ", keyWidth-ansi.StringWidth(k))) + " " + st.FullDesc.Inline(true).Render(d)
			if pad := width - keyWidth - 1 - ansi.StringWidth(d); pad > 0 && ci < len(cols)-1 {
				text += strings.Repeat(" ", pad)
			}
			lines[r] += text
		}
	}
	for r := range lines {
		lines[r] = strings.TrimRight(lines[r], " ")
	}
	return strings.Join(lines, "\n"), total <= m.width
}
