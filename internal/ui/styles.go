package ui

import "github.com/charmbracelet/lipgloss"

// Styles holds every style the program draws with, built once. Colours are
// adaptive (light and dark terminals) and drop away under NO_COLOR or on a
// terminal without colour, leaving bold, faint and reverse to carry meaning.
type Styles struct {
	Title, Subtle, Header, Selected     lipgloss.Style
	Active, Disabled, Error, Info, Warn lipgloss.Style
	Label, Focused, Key                 lipgloss.Style
}

// DefaultStyles returns ctitui's styles.
func DefaultStyles() Styles {
	accent := lipgloss.AdaptiveColor{Light: "#005FAF", Dark: "#5FAFFF"}
	green := lipgloss.AdaptiveColor{Light: "#00875F", Dark: "#5FD787"}
	red := lipgloss.AdaptiveColor{Light: "#AF0000", Dark: "#FF5F5F"}
	yellow := lipgloss.AdaptiveColor{Light: "#875F00", Dark: "#FFD75F"}
	return Styles{
		Title:    lipgloss.NewStyle().Bold(true).Foreground(accent),
		Subtle:   lipgloss.NewStyle().Faint(true),
		Header:   lipgloss.NewStyle().Bold(true).Underline(true),
		Selected: lipgloss.NewStyle().Reverse(true),
		Active:   lipgloss.NewStyle().Foreground(green),
		Disabled: lipgloss.NewStyle().Foreground(red).Faint(true),
		Error:    lipgloss.NewStyle().Bold(true).Foreground(red),
		Info:     lipgloss.NewStyle().Foreground(green),
		Warn:     lipgloss.NewStyle().Foreground(yellow),
		Label:    lipgloss.NewStyle().Bold(true),
		Focused:  lipgloss.NewStyle().Bold(true).Foreground(accent),
		Key:      lipgloss.NewStyle().Bold(true),
	}
}
