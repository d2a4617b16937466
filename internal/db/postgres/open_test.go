package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db/postgres"
)

// A password in the connection string is refused before anything
// connects, with one line that never repeats it.
func TestOpenRefusesPasswordInURL(t *testing.T) {
	for _, connString := range []string{
		"postgres://alice:s3cr3tpw@db.example.org/ctitui",
		"postgresql://alice:s3cr3tpw@db.example.org:5433/ctitui?sslmode=require",
		"postgres://alice:@db.example.org/ctitui",
		"postgres://alice@db.example.org/ctitui?password=s3cr3tpw",
		"postgres://alice@db.example.org/ctitui?sslmode=require&PASSWORD=s3cr3tpw",
		"postgres://alice@db.example.org/ctitui?sslpassword=s3cr3tpw",
		"host=db.example.org user=alice password=s3cr3tpw dbname=ctitui",
		"host=db.example.org user=alice dbname=ctitui password = 's3cr3tpw'",
		"postgres://alice:s3cr3tpw@db.example.org:notaport/ctitui",
		"postgres://alice:s3cr3tpw@[::1/ctitui",
	} {
		_, err := postgres.Open(context.Background(), connString, postgres.Options{})
		if err == nil {
			t.Errorf("Open(%q) = nil; want a refusal", connString)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3tpw") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%q) = %q; want one line without the password", connString, err)
		}
		if !errors.Is(err, postgres.ErrPasswordInURL) && !strings.Contains(err.Error(), "not a valid URL") {
			t.Errorf("Open(%q) = %v; want ErrPasswordInURL", connString, err)
		}
	}
}

// A database that does not exist is refused by name, and not created.
func TestOpenRefusesMissingDatabase(t *testing.T) {
	ctx := context.Background()
	existing := newDatabase(t)
	u, err := url.Parse(existing)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/ctitui_no_such_database"
	_, err = postgres.Open(ctx, u.String(), postgres.Options{})
	if !errors.Is(err, postgres.ErrNoDatabase) || !strings.Contains(err.Error(), `"ctitui_no_such_database"`) {
		t.Fatalf("Open(missing database) = %v; want ErrNoDatabase naming it", err)
	}
	var exists bool
	if err := rawConn(t, existing).QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'ctitui_no_such_database')`).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Error("Open created the missing database")
	}
}

// Location names the database without any password, and sessions carry
// ctitui's settings.
func TestOpenLocationAndSession(t *testing.T) {
	ctx := context.Background()
	dbURL := newDatabase(t)
	t.Setenv("PGPASSWORD", "s3cr3tpw")
	s := openStore(t, dbURL, postgres.Options{})
	loc := s.Location()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(loc, "s3cr3tpw") || !strings.HasPrefix(loc, "postgres://") || !strings.Contains(loc, u.Path) || s.String() != loc {
		t.Errorf("Location() = %q, String() = %q; want postgres://...%s without the password", loc, s.String(), u.Path)
	}
	searchPath, tz, app, err := postgres.SessionSettings(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if searchPath != "ctitui, public" || tz != "UTC" || app != "ctitui" {
		t.Errorf("session settings: search_path %q, TimeZone %q, application_name %q; want \"ctitui, public\", UTC, ctitui", searchPath, tz, app)
	}
}
