package sqlite_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// ListAudit pages the log both ways: BeforeID and AfterID bound the ids,
// alone or together, with UserID and Search; OldestFirst turns the order,
// so that Limit keeps the entries nearest AfterID.
func TestListAuditBeforeAndAfter(t *testing.T) {
	s := openStore(t, t.TempDir()+"/audit.db", db.Options{})
	ctx := context.Background()
	// Entries 1 to 10: odd ones about alice, even ones about bob.
	err := s.WithTx(ctx, func(tx user.Tx) error {
		for i := 1; i <= 10; i++ {
			e := user.AuditEntry{At: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Actor: "tester", Action: user.ActionSetRoles,
				UserID: "id-alice", UserEmail: "alice@example.org", Details: fmt.Sprintf("step %d", i)}
			if i%2 == 0 {
				e.UserID, e.UserEmail = "id-bob", "bob@example.org"
			}
			if err := tx.AppendAudit(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("append audit entries: %v", err)
	}
	list := func(f user.AuditFilter) []int64 {
		t.Helper()
		var ids []int64
		if err := s.ListAudit(ctx, f, func(e user.AuditEntry) error {
			ids = append(ids, e.ID)
			return nil
		}); err != nil {
			t.Fatalf("ListAudit(%+v) = %v", f, err)
		}
		return ids
	}
	if got, want := list(user.AuditFilter{}), []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}; !slices.Equal(got, want) {
		t.Fatalf("fixture: the log holds %v; want %v", got, want)
	}

	tests := []struct {
		f    user.AuditFilter
		want []int64
	}{
		{user.AuditFilter{BeforeID: 6}, []int64{5, 4, 3, 2, 1}},
		{user.AuditFilter{BeforeID: 6, Limit: 2}, []int64{5, 4}},
		{user.AuditFilter{AfterID: 6}, []int64{10, 9, 8, 7}},
		{user.AuditFilter{AfterID: 6, Limit: 2}, []int64{10, 9}},
		{user.AuditFilter{AfterID: 6, OldestFirst: true}, []int64{7, 8, 9, 10}},
		{user.AuditFilter{AfterID: 6, OldestFirst: true, Limit: 2}, []int64{7, 8}},
		{user.AuditFilter{AfterID: 10}, nil},
		{user.AuditFilter{AfterID: 99, OldestFirst: true}, nil},
		{user.AuditFilter{OldestFirst: true, Limit: 3}, []int64{1, 2, 3}},
		{user.AuditFilter{BeforeID: 9, AfterID: 3}, []int64{8, 7, 6, 5, 4}},
		{user.AuditFilter{BeforeID: 9, AfterID: 3, OldestFirst: true, Limit: 2}, []int64{4, 5}},
		{user.AuditFilter{BeforeID: 4, AfterID: 3}, nil},
		{user.AuditFilter{BeforeID: 3, AfterID: 8}, nil},
		{user.AuditFilter{UserID: "id-alice", AfterID: 4}, []int64{9, 7, 5}},
		{user.AuditFilter{UserID: "id-alice", AfterID: 4, OldestFirst: true, Limit: 2}, []int64{5, 7}},
		{user.AuditFilter{UserID: "id-bob", BeforeID: 8, AfterID: 2}, []int64{6, 4}},
		{user.AuditFilter{Search: "bob@", AfterID: 5}, []int64{10, 8, 6}},
		{user.AuditFilter{Search: "bob@", AfterID: 5, OldestFirst: true, Limit: 1}, []int64{6}},
		{user.AuditFilter{Search: "step 1", BeforeID: 10}, []int64{1}},
		{user.AuditFilter{Search: "alice", UserID: "id-alice", BeforeID: 9, AfterID: 1, OldestFirst: true}, []int64{3, 5, 7}},
		{user.AuditFilter{Search: "alice", UserID: "id-bob", AfterID: 1}, nil},
	}
	for _, tt := range tests {
		if got := list(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("ListAudit(%+v) = %v; want %v", tt.f, got, tt.want)
		}
	}
}
