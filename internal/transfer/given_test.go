package transfer_test

import (
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/transfer"
	"github.com/ctitui/ctitui/internal/user"
)

// Read says which fields each record gives a value for: an update changes
// only those. An empty cell, "", null and [] give nothing.
func TestReadGivenFields(t *testing.T) {
	tests := []struct {
		name string
		f    transfer.Format
		in   string
		want []user.Field
	}{
		{"CSV export without hashes", transfer.CSV,
			"id,email,roles,disabled,disabled_at,created_at,updated_at,last_login_at\n" +
				"u1,a@x.org,admin,false,,2026-01-02T03:04:05.678Z,2026-01-02T03:04:05.678Z,\n" +
				"u2,b@x.org,viewer,true,2026-01-02T03:04:05.678Z,2026-01-02T03:04:05.678Z,2026-01-02T03:04:05.678Z,2026-01-02T03:04:05.678Z\n",
			[]user.Field{
				user.FieldID | user.FieldEmail | user.FieldRoles | user.FieldDisabled | user.FieldCreatedAt | user.FieldUpdatedAt,
				user.FieldID | user.FieldEmail | user.FieldRoles | user.FieldDisabled | user.FieldDisabledAt | user.FieldCreatedAt | user.FieldUpdatedAt | user.FieldLastLoginAt,
			}},
		{"CSV email and roles", transfer.CSV, "email,roles\na@x.org,admin\nb@x.org,\n",
			[]user.Field{user.FieldEmail | user.FieldRoles, user.FieldEmail}},
		{"CSV passwords", transfer.CSV, "email,password,hashed_password\na@x.org,pw,\nb@x.org,,!\nc@x.org,,\n",
			[]user.Field{user.FieldEmail | user.FieldPassword, user.FieldEmail | user.FieldHashedPassword, user.FieldEmail}},
		{"CSV disabled empty", transfer.CSV, "email,disabled\na@x.org,\nb@x.org,no\n",
			[]user.Field{user.FieldEmail, user.FieldEmail | user.FieldDisabled}},
		{"JSON Lines", transfer.JSONL,
			`{"email":"a@x.org","disabled":false,"roles":null,"password":""}` + "\n" +
				`{"email":"b@x.org","roles":[],"disabled_at":null,"hashed_password":"!"}` + "\n" +
				`{"email":"c@x.org","roles":"viewer","disabled":true,"id":"u3"}` + "\n",
			[]user.Field{user.FieldEmail | user.FieldDisabled, user.FieldEmail | user.FieldHashedPassword,
				user.FieldEmail | user.FieldRoles | user.FieldDisabled | user.FieldID}},
	}
	for _, tt := range tests {
		var got []user.Field
		err := transfer.Read(strings.NewReader(tt.in), tt.f, func(r user.ImportRecord) error {
			if r.Err != nil {
				t.Errorf("%s: line %d: %v", tt.name, r.Line, r.Err)
			}
			got = append(got, r.Given)
			return nil
		})
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("%s: Read = %v, %d records; want %d", tt.name, err, len(got), len(tt.want))
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: record %d gives %v; want %v", tt.name, i+1, got[i], tt.want[i])
			}
		}
	}
}
