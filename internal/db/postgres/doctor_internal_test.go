package postgres

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ctitui/ctitui/internal/user"
)

// TestDoctorConnectionEncryption judges the connection from its
// configuration alone: a pool connects lazily, and the local server of the
// tests is reached through a Unix socket.
func TestDoctorConnectionEncryption(t *testing.T) {
	for _, tc := range []struct {
		url     string
		problem bool
	}{
		{"postgres://u@db.example.org/ctitui?sslmode=disable", true},
		{"postgres://u@db.example.org/ctitui?sslmode=allow", true},
		{"postgres://u@db.example.org/ctitui?sslmode=prefer", true},
		{"postgres://u@db.example.org/ctitui", true}, // prefer is the default
		{"postgres://u@db.example.org/ctitui?sslmode=require", false},
		{"postgres://u@db.example.org/ctitui?sslmode=verify-full", false},
		{"postgres://u@localhost/ctitui?sslmode=disable", false},
		{"postgres://u@127.0.0.1/ctitui?sslmode=disable", false},
		{"postgres://u@[::1]/ctitui?sslmode=disable", false},
		{"postgres://u@/ctitui?host=/run/postgresql&sslmode=disable", false},
		{"postgres://u@localhost,db.example.org/ctitui?sslmode=prefer", true},
	} {
		cfg, err := pgxpool.ParseConfig(tc.url)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		var problem bool
		for _, f := range connectionFindings(cfg.ConnConfig) {
			if f.Severity == user.SeverityProblem {
				problem = true
				if !strings.Contains(f.Message, "may go unencrypted") {
					t.Errorf("%s: message %q", tc.url, f.Message)
				}
			}
		}
		if problem != tc.problem {
			t.Errorf("%s: problem %v; want %v", tc.url, problem, tc.problem)
		}
	}
}
