package user

import "time"

// AppendTime appends t in TimeLayout to b, the text FormatTime returns; the
// zero time appends nothing. A listing formats several times per user, and
// this skips time.Format's walk of the layout and the string it returns.
func AppendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		// Not four digits: time.Format's own rules for the sign and width.
		return t.AppendFormat(b, TimeLayout)
	}
	hour, minute, sec := t.Clock()
	milli := t.Nanosecond() / 1e6 // truncated, as Format's .000 does
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, milli, 3)
	return append(b, 'Z')
}

// appendDigits appends the n lowest decimal digits of v, zero-padded.
func appendDigits(b []byte, v, n int) []byte {
	var d [4]byte
	for i := n - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:n]...)
}
