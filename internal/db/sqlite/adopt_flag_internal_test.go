package sqlite

import (
	"context"
	"database/sql"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzActiveFlag feeds a legacy is_active value of each SQLite type through
// the columns adoption selects and activeFlag's reading of them, and checks
// the reading against the rule stated plainly: NULL is false; an integer or
// a REAL is 1 or 0; a text is one of the spellings, ASCII letters in any
// case, nothing around it; anything else (a blob, another number, another
// word) is refused. Refused values must show on one line and briefly.
func FuzzActiveFlag(f *testing.F) {
	f.Add(uint8(0), "", int64(0), 0.0)
	f.Add(uint8(1), "", int64(1), 0.0)
	f.Add(uint8(1), "", int64(2), 0.0)
	f.Add(uint8(2), "", int64(0), 0.9999999999999999)
	f.Add(uint8(2), "", int64(0), math.Copysign(0, -1))
	f.Add(uint8(3), "OfF", int64(0), 0.0)
	f.Add(uint8(3), " 0", int64(0), 0.0)
	f.Add(uint8(3), "ye\u017f", int64(0), 0.0)
	f.Add(uint8(3), strings.Repeat("é", 50), int64(0), 0.0)
	f.Add(uint8(4), "0", int64(0), 0.0)
	conn, err := sql.Open("sqlite", "file:fuzz-active-flag?mode=memory")
	if err != nil {
		f.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	trues := []string{"1", "true", "t", "yes", "y", "on"}
	falses := []string{"0", "false", "f", "no", "n", "off"}
	in := func(list []string, s string) bool {
		for _, w := range list {
			if isASCII(s) && strings.ToLower(s) == w {
				return true
			}
		}
		return false
	}
	f.Fuzz(func(t *testing.T, kind uint8, text string, n int64, r float64) {
		var value any
		var wantActive, wantOK bool
		switch kind % 5 {
		case 0:
			value, wantActive, wantOK = nil, false, true
		case 1:
			value, wantActive, wantOK = n, n == 1, n == 0 || n == 1
		case 2:
			if math.IsNaN(r) {
				return // SQLite stores NaN as NULL
			}
			value, wantActive, wantOK = r, r == 1, r == 0 || r == 1
		case 3:
			if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
				return // SQLite's text functions read either differently from Go
			}
			value, wantActive, wantOK = text, in(trues, text), in(trues, text) || in(falses, text)
		case 4:
			value, wantActive, wantOK = []byte(text), false, false
		}
		var flag activeFlag
		if err := conn.QueryRowContext(ctx, `SELECT `+activeFlagColumns+` FROM (SELECT ? AS is_active)`, value).
			Scan(&flag.typ, &flag.text, &flag.real); err != nil {
			t.Fatalf("select %#v: %v", value, err)
		}
		active, ok := flag.active()
		if active != wantActive || ok != wantOK {
			t.Fatalf("activeFlag of %T %#v = %v, %v; want %v, %v", value, value, active, ok, wantActive, wantOK)
		}
		if active && !ok {
			t.Fatalf("activeFlag of %#v active but refused", value)
		}
		shown := flag.String()
		if strings.ContainsAny(shown, "\n\r\x1b") || utf8.RuneCountInString(shown) > 4*flagShown+8 {
			t.Fatalf("activeFlag of %#v shows as %q; want one short line", value, shown)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
