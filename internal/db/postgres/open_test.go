package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/user"
)

// A password in the connection string is refused before anything
// connects, with one line that never repeats it.
func TestOpenRefusesPasswordInURL(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	ctx := context.Background()
	existing := newDatabase(t)
	u, err := url.Parse(existing)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/ctitui_no_such_database"
	_, err = postgres.Open(ctx, u.String(), postgres.Options{})
	if !errors.Is(err, db.ErrNoDatabase) || !strings.Contains(err.Error(), `"ctitui_no_such_database"`) {
		t.Fatalf("Open(missing database) = %v; want db.ErrNoDatabase naming it", err)
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
	searchPath, tz, app, planCache, err := postgres.SessionSettings(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if searchPath != "ctitui, public" || tz != "UTC" || app != "ctitui" || planCache != "force_custom_plan" {
		t.Errorf("session settings: search_path %q, TimeZone %q, application_name %q, plan_cache_mode %q; want \"ctitui, public\", UTC, ctitui, force_custom_plan",
			searchPath, tz, app, planCache)
	}
}

// Location renders any address as a URL without a password.
func TestLocation(t *testing.T) {
	for _, env := range []string{"PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE", "PGSERVICEFILE"} {
		t.Setenv(env, "")
	}
	t.Setenv("PGPASSWORD", "s3cr3tpw")
	for _, tt := range []struct{ in, want string }{
		{"postgres://alice@db.example.org/ctitui", "postgres://alice@db.example.org/ctitui"},
		{"postgresql://alice@db.example.org:5433/ctitui?sslmode=disable", "postgres://alice@db.example.org:5433/ctitui"},
		{"postgres://alice@[2001:db8::1]:5433/ctitui?sslmode=disable", "postgres://alice@[2001:db8::1]:5433/ctitui"},
		{"postgres://postgres@/ctitui?host=/run/postgresql", "postgres://postgres@/ctitui?host=/run/postgresql"},
		{"host='/tmp/pg sock' port=5499 user=bob dbname=users", "postgres://bob@/users?host=%2Ftmp%2Fpg+sock&port=5499"},
		{"host=db user=bob dbname=users sslmode=disable", "postgres://bob@db/users"},
	} {
		got, err := postgres.LocationOf(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Location of %q = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// A server that cannot be reached is ErrUnavailable, said in one line.
func TestOpenUnreachableServer(t *testing.T) {
	t.Parallel()
	_, err := postgres.Open(context.Background(), "postgres://alice@/ctitui?host="+t.TempDir(), postgres.Options{})
	if !errors.Is(err, postgres.ErrUnavailable) || strings.Contains(err.Error(), "\n") {
		t.Errorf("Open(no server) = %q; want ErrUnavailable in one line", err)
	}
}

// A keyword/value connection string opens the same database as its URL.
func TestOpenKeywordValue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDatabase(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	dsn := fmt.Sprintf("user=%s dbname=%s", u.User.Username(), strings.TrimPrefix(u.Path, "/"))
	if host := u.Query().Get("host"); host != "" {
		dsn += " host=" + host
	} else {
		dsn += " host=" + u.Hostname() + " port=" + u.Port()
	}
	s := openStore(t, dsn, postgres.Options{})
	if n, err := s.CountUsers(ctx, user.Filter{}); n != 0 || err != nil {
		t.Errorf("CountUsers on a new database = %d, %v; want 0", n, err)
	}
	if want := openStore(t, dbURL, postgres.Options{}).Location(); s.Location() != want {
		t.Errorf("Location() = %q; want %q, the URL's", s.Location(), want)
	}
}
