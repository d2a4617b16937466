package postgres_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/postgres"
)

// TestOpenRefusesUnknownTriggers: a trigger or rule on ctitui's tables
// that ctitui did not create is refused, with nothing changed, unless the
// person consents to dropping it; then its definition is kept and Open
// says what it dropped.
func TestOpenRefusesUnknownTriggers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name, sql, want string
	}{
		{"a trigger", `CREATE FUNCTION public.spy() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
			CREATE TRIGGER spy BEFORE INSERT ON ctitui.audit_log FOR EACH ROW EXECUTE FUNCTION public.spy()`, "trigger spy on audit_log"},
		{"ctitui's trigger name calling another function", `CREATE FUNCTION public.spy() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
			DROP TRIGGER users_timestamps ON ctitui.users;
			CREATE TRIGGER users_timestamps BEFORE UPDATE ON ctitui.users FOR EACH ROW EXECUTE FUNCTION public.spy()`, "trigger users_timestamps on users"},
		{"ctitui's trigger calling a function of the same name elsewhere", `CREATE FUNCTION public.users_timestamps() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
			DROP TRIGGER users_timestamps ON ctitui.users;
			CREATE TRIGGER users_timestamps BEFORE UPDATE ON ctitui.users FOR EACH ROW EXECUTE FUNCTION public.users_timestamps()`, "trigger users_timestamps on users"},
		{"ctitui's trigger on another of its tables", `CREATE TRIGGER users_timestamps BEFORE UPDATE ON ctitui.roles FOR EACH ROW EXECUTE FUNCTION ctitui.users_timestamps()`, "trigger users_timestamps on roles"},
		{"a rule", `CREATE RULE keep AS ON DELETE TO ctitui.users DO INSTEAD NOTHING`, "rule keep on users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dbURL := newDatabase(t)
			openStore(t, dbURL, postgres.Options{}).Close()
			conn := rawConn(t, dbURL)
			if _, err := conn.Exec(ctx, tt.sql); err != nil {
				t.Fatal(err)
			}
			s, err := postgres.Open(ctx, dbURL, postgres.Options{})
			if !errors.Is(err, db.ErrUnknownSchema) || err == nil || !strings.Contains(err.Error(), tt.want) {
				if s != nil {
					s.Close()
				}
				t.Fatalf("Open = %v; want ErrUnknownSchema naming %q", err, tt.want)
			}
			var notes []string
			s = openStore(t, dbURL, postgres.Options{DropUnknownObjects: true, Notify: func(m string) { notes = append(notes, m) }})
			if got := s.DroppedAtOpen(); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("DroppedAtOpen() = %q; want [%q]", got, tt.want)
			}
			if len(notes) != 1 || !strings.Contains(notes[0], tt.want) {
				t.Errorf("Notify got %q; want one message naming %q", notes, tt.want)
			}
			var object, def string
			if err := conn.QueryRow(ctx, `SELECT object, definition FROM ctitui_backup.dropped_objects`).Scan(&object, &def); err != nil || object != tt.want || def == "" {
				t.Errorf("kept definition: %q %q %v; want %q with its definition", object, def, err, tt.want)
			}
			// Reopened as is: nothing unknown is left.
			again := openStore(t, dbURL, postgres.Options{})
			if got := again.DroppedAtOpen(); len(got) != 0 {
				t.Errorf("reopen: DroppedAtOpen() = %q; want none", got)
			}
		})
	}
}

// TestOpenKeepsTheAdoptedDashboardsObjects: an adopted dashboard's tables,
// their foreign keys to users and the triggers adoption made are not
// unknown: the database opens again as it is.
func TestOpenKeepsTheAdoptedDashboardsObjects(t *testing.T) {
	t.Parallel()
	dbURL := newDashboardWith(t, textIDs)
	openStore(t, dbURL, postgres.Options{}).Close()
	s, err := postgres.Open(context.Background(), dbURL, postgres.Options{})
	if err != nil {
		t.Fatalf("reopen an adopted dashboard: %v", err)
	}
	defer s.Close()
	if got := s.DroppedAtOpen(); len(got) != 0 {
		t.Errorf("DroppedAtOpen() = %q; want none", got)
	}
	var fks int
	if err := rawConn(t, dbURL).QueryRow(context.Background(), `SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = 'public.users'::regclass`).Scan(&fks); err != nil {
		t.Fatal(err)
	}
	if fks == 0 {
		t.Error("the fixture has no foreign key to users: the test proves nothing")
	}
	// The dashboard's own writes to the adopted users table notify too.
	v, _ := s.DataVersion(context.Background())
	if _, err := dashboardConn(t, dbURL).Exec(context.Background(), `UPDATE users SET email = email WHERE false`); err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		if got, _ := s.DataVersion(context.Background()); got != v {
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatal("DataVersion did not move after the dashboard wrote users")
		}
	}
}
