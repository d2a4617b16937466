package transfer_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/transfer"
	"github.com/ctitui/ctitui/internal/user"
)

// benchFile is an export of n users with hashes, as import reads it.
func benchFile(n int, format transfer.Format) string {
	var b strings.Builder
	if format == transfer.CSV {
		b.WriteString("id,email,roles,disabled,disabled_at,created_at,updated_at,last_login_at,hashed_password\n")
	}
	for i := range n {
		if format == transfer.CSV {
			fmt.Fprintf(&b, "0190b5c4-b11b-7b9e-9313-%012d,user%07d@example.org,analyst,false,,2026-01-02T03:04:05.678Z,2026-01-02T03:04:05.678Z,,\"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U\"\n", i, i)
		} else {
			fmt.Fprintf(&b, `{"id":"0190b5c4-b11b-7b9e-9313-%012d","email":"user%07d@example.org","roles":["analyst"],"disabled":false,"disabled_at":null,"created_at":"2026-01-02T03:04:05.678Z","updated_at":"2026-01-02T03:04:05.678Z","last_login_at":null,"hashed_password":"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"}`+"\n", i, i)
		}
	}
	return b.String()
}

// BenchmarkRead is the parsing cost per record of an export read back.
func BenchmarkRead(b *testing.B) {
	for _, format := range []transfer.Format{transfer.CSV, transfer.JSONL} {
		file := benchFile(10_000, format)
		b.Run(string(format), func(b *testing.B) {
			for b.Loop() {
				err := transfer.Read(strings.NewReader(file), format, func(r user.ImportRecord) error { return r.Err })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10_000, "ns/record")
		})
	}
}

// BenchmarkWrite is the cost per user of an export with hashes.
func BenchmarkWrite(b *testing.B) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	u := user.User{ID: "0190b5c4-b11b-7b9e-9313-373b6743a848", Email: "dagny.hansen+1@team-35.example.org",
		Roles: []user.Role{user.RoleAnalyst}, CreatedAt: at, UpdatedAt: at, LastLoginAt: at,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"}
	for _, format := range []transfer.Format{transfer.CSV, transfer.JSONL} {
		b.Run(string(format), func(b *testing.B) {
			w, err := transfer.NewWriter(io.Discard, format, true)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := w.Write(u); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
