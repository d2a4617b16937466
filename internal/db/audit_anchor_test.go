package db_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
)

// TestCheckAuditAnchor: an anchor is "ID:HASH" exactly as 'ctitui audit
// verify' prints it. Only the whole hash of an entry that still exists
// passes; another hash of the same form does not, and an anchor of another
// form (a prefix of the hash, however long, or one in upper case) is refused
// as such rather than compared.
func TestCheckAuditAnchor(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
	writeChain(t, chainService(s))
	rep := verifyChain(t, s)
	head := fmt.Sprintf("%d:%s", rep.HeadID, rep.HeadHash)
	tests := []struct {
		anchor  string
		badForm bool   // want ErrBadAnchor
		want    string // in the error; "" for none
	}{
		{anchor: head},
		{anchor: head[:len(head)-1] + otherHexDigit(head[len(head)-1]), want: "no longer has the anchored hash"},
		{anchor: head[:len(head)-1], badForm: true},
		{anchor: fmt.Sprintf("%d:%s", rep.HeadID, rep.HeadHash[:8]), badForm: true},
		{anchor: head + "0", badForm: true},
		{anchor: fmt.Sprintf("%d:%s", rep.HeadID, strings.ToUpper(rep.HeadHash)), badForm: true},
		{anchor: "99:" + rep.HeadHash, want: "no longer exists"},
		{anchor: fmt.Sprintf("%d:", rep.HeadID), badForm: true},
		{anchor: fmt.Sprint(rep.HeadID), badForm: true},
		{anchor: ":" + rep.HeadHash, badForm: true},
		{anchor: "six:" + rep.HeadHash, badForm: true},
		{anchor: "", badForm: true},
	}
	for _, tt := range tests {
		err := s.CheckAuditAnchor(ctx, tt.anchor)
		switch {
		case tt.badForm:
			if !errors.Is(err, db.ErrBadAnchor) {
				t.Errorf("CheckAuditAnchor(%q) = %v; want %v", tt.anchor, err, db.ErrBadAnchor)
			}
		case tt.want == "":
			if err != nil {
				t.Errorf("CheckAuditAnchor(%q) = %v; want nil", tt.anchor, err)
			}
		default:
			if err == nil || errors.Is(err, db.ErrBadAnchor) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CheckAuditAnchor(%q) = %v; want an error saying %q", tt.anchor, err, tt.want)
			}
		}
	}
}

// otherHexDigit returns a lower-case hex digit other than c.
func otherHexDigit(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}
