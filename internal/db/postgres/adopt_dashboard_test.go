package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db/postgres"
)

// dashboardPython is the interpreter that has the dashboard's stack:
// Debian's python3-sqlalchemy (1.4), python3-passlib, python3-psycopg2 and
// python3-bcrypt.
const dashboardPython = "/usr/bin/python3"

// runDashboard runs testdata/dashboard.py's command against the database at
// dbURL and decodes the JSON object it prints.
func runDashboard(t *testing.T, dbURL string, args ...string) map[string]any {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Query().Get("host")
	if !strings.HasPrefix(host, "/") {
		t.Skipf("the dashboard script connects over a Unix socket; the test server is at %q", host)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv := append([]string{"testdata/dashboard.py", args[0], host, strings.TrimPrefix(u.Path, "/"), u.User.Username()}, args[1:]...)
	cmd := exec.CommandContext(ctx, dashboardPython, argv...)
	// A session time zone that is not UTC; bcrypt at its lowest cost.
	cmd.Env = append(os.Environ(), "PGTZ=Europe/Paris", "DASHBOARD_BCRYPT_ROUNDS=4")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("dashboard.py %s: %v\n%s", args[0], err, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("dashboard.py %s printed %q: %v", args[0], out, err)
	}
	return got
}

// TestAdoptTheDashboardsOwnDatabase plays the dashboard with its own stack:
// its create_all() makes the tables and its ORM registers users with
// bcrypt hashes; ctitui adopts the database; the dashboard's newer model,
// which has updated_at, then logs its users in, registers one and
// deactivates one through the ORM. Its rows are complete for ctitui, and
// disabling on either side is seen by the other.
func TestAdoptTheDashboardsOwnDatabase(t *testing.T) {
	t.Parallel()
	if err := exec.Command(dashboardPython, "-c", "import sqlalchemy, passlib, psycopg2, bcrypt").Run(); err != nil {
		t.Skipf("the dashboard's stack is missing (%s with sqlalchemy 1.4, passlib, psycopg2, bcrypt: apt-get install python3-sqlalchemy python3-passlib python3-psycopg2 python3-bcrypt): %v", dashboardPython, err)
	}
	ctx := context.Background()
	dbURL := newDatabase(t)
	created := runDashboard(t, dbURL, "create")

	// Before adoption, the newer model fails as in the original report.
	u, _ := url.Parse(dbURL)
	cmd := exec.Command(dashboardPython, "testdata/dashboard.py", "after", u.Query().Get("host"), strings.TrimPrefix(u.Path, "/"), u.User.Username())
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "column users.updated_at does not exist") {
		t.Fatalf("the newer model before adoption: %v\n%s\nwant it to fail on the missing updated_at", err, out)
	}

	pool := ctituiPool(t, dbURL)
	report, err := postgres.Adopt(ctx, pool, time.Second)
	if err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	if report.Users != 3 || report.Disabled != 1 {
		t.Errorf("report %s; want 3 users, 1 disabled", report)
	}

	after := runDashboard(t, dbURL, "after")
	wantLogins := map[string]any{"alice": "ok", "bob": "inactive", "carol": "ok", "dave": "ok", "carol after deactivation": "inactive"}
	if got := after["logins"]; !reflect.DeepEqual(got, wantLogins) {
		t.Errorf("the dashboard's logins after adoption: %v; want %v", got, wantLogins)
	}
	// The user the dashboard registered through its ORM, and the one it
	// deactivated, as ctitui reads them.
	users := readAdopted(t, dashboardConn(t, dbURL))
	dave := users[after["dave"].(string)]
	if dave.normalized != "dave@example.org" || dave.disabled != nil || dave.updated.Before(dave.created) {
		t.Errorf("the dashboard's new user as ctitui reads it: %+v; want normalised dave@example.org, enabled, updated_at from created_at on", dave)
	}
	for id, u := range users {
		if u.email == "carol@example.org" && u.disabled == nil {
			t.Errorf("carol (%s), deactivated by the dashboard: disabled_at NULL; want set", id)
		}
		if u.email == "bob@example.org" && u.disabled == nil {
			t.Errorf("bob (%s), inactive before adoption: disabled_at NULL; want set", id)
		}
	}
	// ctitui disables alice as its store does (disabled_at, updated_at):
	// the dashboard refuses her login.
	alice := created["alice"].(string)
	if _, err := pool.Exec(ctx, `UPDATE users SET disabled_at = $2, updated_at = $2 WHERE id = $1`, alice, time.Now().UTC().Truncate(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if got := runDashboard(t, dbURL, "login", "Alice@Example.org", "alice-pass")["login"]; got != "inactive" {
		t.Errorf("the dashboard's login of alice after ctitui disabled her: %v; want inactive", got)
	}
}
