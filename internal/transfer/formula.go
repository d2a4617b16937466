package transfer

import "strings"

// Spreadsheets (Excel, LibreOffice Calc, Google Sheets) run a CSV cell as a
// formula when it starts with = + - @, a tab, a carriage return or (ASVS
// 5.0, V1.2.10) a NUL. OWASP's remedy is a leading single quote, which they
// take as "this is text". ctitui writes such cells with one more quote and
// reads one quote off again, under a rule that is a bijection on strings:
//
//	escape:   s matches ^'*[=+\-@\t\r\n\x00]  ->  "'" + s
//	unescape: s matches ^'+[=+\-@\t\r\n\x00]  ->  s[1:]
//
// A line feed is in the set too: encoding/csv reads a CR LF inside a quoted
// field as LF alone, and a cell such as "'\r\n=" must still lose its quote
// when it comes back as "''\n=".
//
// The strings that unescape changes are exactly the images of the strings
// that escape changes ("'" followed by ^'*X is ^'+X), and escape leaves
// every other string alone, none of which unescape changes; so
// UnescapeFormula(EscapeFormula(s)) == s for every s, including a string
// that itself starts with quotes before a formula character (an email local
// part may legitimately start with - + = or '). A cell that starts with a
// quote not followed, after the quotes, by one of those characters is plain
// text to both directions.

// formulaStart reports whether a spreadsheet reads a cell that starts with
// c as a formula.
func formulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r', '\n', 0:
		return true
	}
	return false
}

// quotesThenFormula reports whether s, past its leading single quotes (at
// least min of them), starts with a formula character.
func quotesThenFormula(s string, min int) bool {
	i := 0
	for i < len(s) && s[i] == '\'' {
		i++
	}
	return i >= min && i < len(s) && formulaStart(s[i])
}

// NeedsFormulaEscape reports whether EscapeFormula changes s.
func NeedsFormulaEscape(s string) bool {
	// The common case, a cell that starts with a letter or digit, is one
	// comparison.
	return s != "" && (s[0] == '\'' || formulaStart(s[0])) && quotesThenFormula(s, 0)
}

// EscapeFormula returns s as ctitui writes it into a CSV cell: with a
// leading single quote when a spreadsheet would otherwise run it, or would
// take one quote of it away.
func EscapeFormula(s string) string {
	if NeedsFormulaEscape(s) {
		return "'" + s
	}
	return s
}

// UnescapeFormula undoes EscapeFormula: it takes one leading quote off a
// cell whose quotes are followed by a formula character.
func UnescapeFormula(s string) string {
	if strings.HasPrefix(s, "'") && quotesThenFormula(s, 1) {
		return s[1:]
	}
	return s
}
