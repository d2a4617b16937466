package sqlite_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// ListAudit with Email keeps the entries about the users that have had the
// address, compared normalised: the current user with it (even its entries
// that record no email), every user deleted with it in any spelling (found
// by its delete entry), and entries that name the address but no user.
// Other users' entries, entries about no one, and a user removed without a
// delete entry (by another tool) stay out.
func TestListAuditByEmail(t *testing.T) {
	s := openStore(t, t.TempDir()+"/audit.db", db.Options{})
	ctx := context.Background()
	insertInOrderTest(t, s, orderUser{id: "id-new", created: "2026-01-02T00:00:00.000Z", email: "gen@example.org"})
	insertInOrderTest(t, s, orderUser{id: "id-quiet", created: "2026-01-02T00:00:00.000Z", email: "quiet@example.org"})
	insertInOrderTest(t, s, orderUser{id: "id-other", created: "2026-01-02T00:00:00.000Z", email: "other@example.org"})
	register, del, set := user.ActionRegister, user.ActionDelete, user.ActionSetRoles
	entries := []struct {
		action    user.Action
		id, email string
	}{
		{register, "id-old", "Gen@Example.org"},                                   // 1: a user since deleted
		{set, "id-old", ""},                                                       // 2: an entry of it that records no email
		{del, "id-old", " gen@example.org\t"},                                     // 3: its deletion
		{register, "id-new", "gen@example.org"},                                   // 4: the address's current user
		{register, "id-other", "other@example.org"},                               // 5: another current user
		{user.ActionAdopt, "", "GEN@EXAMPLE.ORG"},                                 // 6: the address, no user (a legacy row)
		{user.ActionSettings, "", ""},                                             // 7: about no one
		{register, "id-e", "Élodie@X.org"},                                        // 8
		{del, "id-e", "e\u0301lodie@x.org"},                                       // 9: decomposed é
		{del, "id-k", "\u212Aate@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.org"}, // 10: KELVIN SIGN, full-width domain
		{user.ActionRehash, "id-quiet", ""},                                       // 11: the current user, no email recorded
		{del, "id-evil", "gen@example.org.evil"},                                  // 12: a longer address
		{register, "id-gone", "gen@example.org"},                                  // 13: removed by another tool: no delete entry
		{register, "id-idn", "a@xn--e1afmkfd.xn--p1ai"},                           // 14: punycode
		{del, "id-idn", "a@XN--E1AFMKFD.xn--p1ai"},                                // 15
	}
	err := s.WithTx(ctx, func(tx user.Tx) error {
		for i, e := range entries {
			err := tx.AppendAudit(ctx, user.AuditEntry{At: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Actor: "tester",
				Action: e.action, UserID: e.id, UserEmail: e.email, Details: []string{"one", "two", "three"}[i%3]})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("append audit entries: %v", err)
	}
	// Rows another tool wrote with an empty user_id rather than NULL: about
	// no account, whatever others share the empty id.
	raw := openRawSQLite(t, s.Path(), false)
	for _, email := range []string{"gen@example.org", "x@example.org"} { // 16, 17
		if _, err := raw.Exec(`INSERT INTO audit_log (at, actor, action, user_id, user_email) VALUES ('2026-01-01T00:01:00.000Z', 'tool', 'import', '', ?)`, email); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		f    user.AuditFilter
		want []int64
	}{
		{user.AuditFilter{Email: "gen@example.org"}, []int64{16, 6, 4, 3, 2, 1}},
		{user.AuditFilter{Email: " GEN@example.ORG "}, []int64{16, 6, 4, 3, 2, 1}},
		{user.AuditFilter{Email: "gen@example.org", Limit: 2}, []int64{16, 6}},
		{user.AuditFilter{Email: "gen@example.org", OldestFirst: true, Limit: 2}, []int64{1, 2}},
		{user.AuditFilter{Email: "gen@example.org", BeforeID: 4}, []int64{3, 2, 1}},
		{user.AuditFilter{Email: "gen@example.org", Search: "three"}, []int64{6, 3}},
		{user.AuditFilter{Email: "gen@example.org", UserID: "id-old"}, []int64{3, 2, 1}},
		{user.AuditFilter{Email: "x@example.org"}, []int64{17}},
		{user.AuditFilter{Email: "ÉLODIE@x.org"}, []int64{9, 8}},
		{user.AuditFilter{Email: "kate@example.org"}, []int64{10}},
		{user.AuditFilter{Email: "a@пример.рф"}, []int64{15, 14}},
		{user.AuditFilter{Email: "quiet@example.org"}, []int64{11}},
		{user.AuditFilter{Email: "other@example.org"}, []int64{5}},
		{user.AuditFilter{Email: "gen@example.org.evil"}, []int64{12}},
		{user.AuditFilter{Email: "nobody@example.org"}, nil},
		{user.AuditFilter{Email: "%"}, nil},
		{user.AuditFilter{UserID: "id-old"}, []int64{3, 2, 1}},
	}
	for _, tt := range tests {
		var got []int64
		if err := s.ListAudit(ctx, tt.f, func(e user.AuditEntry) error {
			got = append(got, e.ID)
			return nil
		}); err != nil {
			t.Fatalf("ListAudit(%+v) = %v", tt.f, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ListAudit(%+v) = %v; want %v", tt.f, got, tt.want)
		}
	}
}
