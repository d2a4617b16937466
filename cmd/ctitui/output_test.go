package main

import (
	"encoding/json"
	"testing"
)

// JSON output keeps every character but shows none that a terminal acts on.
func TestMarshalJSONEscapesInvisibleCharacters(t *testing.T) {
	for _, in := range []string{"plain@x.org", "csi\u009b31m@x.org", "rtl\u202e@x.org", "tag\U000E0041@x.org", "esc\x1b[2J", "a<b>&c"} {
		b, err := marshalJSON(map[string]string{"email": in})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range string(b) {
			if invisible(r) || r < 0x20 {
				t.Errorf("marshalJSON(%q) = %s keeps %U raw", in, b, r)
			}
		}
		var back map[string]string
		if err := json.Unmarshal(b, &back); err != nil || back["email"] != in {
			t.Errorf("marshalJSON(%q) = %s reads back as %q, %v", in, b, back["email"], err)
		}
	}
}
