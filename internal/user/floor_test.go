package user_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

// waits records the waits a Service asks for instead of sleeping, and runs
// check, if set, at each.
type waits struct {
	mu    sync.Mutex
	got   []time.Duration
	check func()
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.got = append(w.got, d)
	check := w.check
	w.mu.Unlock()
	if check != nil {
		check()
	}
	return ctx.Err()
}

func (w *waits) take() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	got := w.got
	w.got = nil
	return got
}

// failureCase is one kind of failed verify: the email and password to try,
// and whether the failure counts (so that a benchmark must unlock between
// attempts to stay below the lockout).
type failureCase struct {
	name, email, plain string
	counts             bool
}

// failureCases sets up one account (or none) for each kind of failed
// verify the timing of which must not tell anything, and returns them as
// the email and password to try.
func failureCases(t testing.TB, svc *user.Service, store testStore) []failureCase {
	t.Helper()
	ctx := context.Background()
	bcrypt4, err := bcrypt.GenerateFromPassword([]byte(goodPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cheapest, err := password.NewHasher(password.Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}).Hash(goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	register := func(email string) {
		t.Helper()
		if _, err := svc.Register(ctx, email, goodPassword, nil); err != nil {
			t.Fatalf("Register(%q): %v", email, err)
		}
	}
	for email, hash := range map[string]string{
		"wrong@example.org":      "",
		"disabled@example.org":   "",
		"locked@example.org":     "",
		"blocked@example.org":    "",
		"bcrypt@example.org":     string(bcrypt4),
		"bcrypt72@example.org":   string(bcrypt4),
		"malformed@example.org":  "$argon2id$v=19$m=19456,t=2,p=1$bm90IGEgaGFzaA$",
		"costly@example.org":     "$2b$31" + string(bcrypt4[6:]),
		"costly2@example.org":    "$argon2id$v=19$m=1048576,t=4,p=1$c2FsdHlzYWx0eXNhbHQxNg$kbCOvSnXHmtp8381KS6TWRK2PAhNk5rHXBGG9YpX0YM",
		"cheap@example.org":      cheapest,
		"nopassword@example.org": password.NoPassword,
		"toolong@example.org":    "",
		"scrypt@example.org":     "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
	} {
		register(email)
		if hash != "" {
			setHash(t, store, email, hash)
		}
	}
	if _, _, err := svc.SetDisabled(ctx, "disabled@example.org", true); err != nil {
		t.Fatal(err)
	}
	t.Helper()
	setLockout(t, store, "locked@example.org", 5, time.Now().Add(time.Hour))
	setLockout(t, store, "blocked@example.org", user.MaxConsecutiveFailures, time.Time{})
	return []failureCase{
		{"unknown", "nobody@example.org", goodPassword, false},
		{"wrong password", "wrong@example.org", wrongPassword, true},
		{"disabled, right password", "disabled@example.org", goodPassword, false},
		{"locked, right password", "locked@example.org", goodPassword, false},
		{"blocked, right password", "blocked@example.org", goodPassword, false},
		{"bcrypt, wrong password", "bcrypt@example.org", wrongPassword, true},
		{"bcrypt, 73 bytes", "bcrypt72@example.org", strings.Repeat("a", 73), true},
		{"malformed hash", "malformed@example.org", goodPassword, true},
		{"bcrypt cost 31", "costly@example.org", goodPassword, true},
		{"argon2id 1 GiB", "costly2@example.org", goodPassword, true},
		{"argon2id m=8,t=1, wrong password", "cheap@example.org", wrongPassword, true},
		{"no password", "nopassword@example.org", goodPassword, true},
		{"password over MaxPasswordBytes", "toolong@example.org", strings.Repeat("a", password.MaxPasswordBytes+1), true},
		{"unsupported hash", "scrypt@example.org", goodPassword, true},
	}
}

// TestVerifyFailuresWaitOutTheFloor: every kind of failure, and only a
// failure, waits until the floor has passed since the verify began. With a
// clock that stands still, that is the whole floor.
func TestVerifyFailuresWaitOutTheFloor(t *testing.T) {
	w := &waits{}
	const floor = 1500 * time.Millisecond
	svc, store, _ := newService(t, user.WithFailureFloor(floor), user.WithSleep(w.sleep))
	cases := failureCases(t, svc, store)
	mustRegister(t, svc, "right@example.org")
	w.take()
	for _, tc := range cases {
		if _, err := svc.Verify(context.Background(), tc.email, tc.plain); err != user.ErrInvalidCredentials {
			t.Errorf("%s: Verify = %v; want exactly ErrInvalidCredentials", tc.name, err)
		}
		if got := w.take(); len(got) != 1 || got[0] != floor {
			t.Errorf("%s: waits %v; want one of %v", tc.name, got, floor)
		}
	}
	if _, err := svc.Verify(context.Background(), "right@example.org", goodPassword); err != nil {
		t.Fatalf("Verify(right password): %v", err)
	}
	if got := w.take(); len(got) != 0 {
		t.Errorf("a successful Verify waited %v; want no wait", got)
	}
}

// TestVerifyDefaultFloor: a Service built without WithFailureFloor, as the
// binary builds it, pads failures to DefaultFailureFloor, which is above
// the slowest hash the cost limits let Verify compute (bcrypt cost 14,
// about a second; see BenchmarkVerifyCost).
func TestVerifyDefaultFloor(t *testing.T) {
	w := &waits{}
	store := openStore(t, "")
	svc := user.NewService(store, user.WithHasher(passwordtest.Hasher()), user.WithSleep(w.sleep))
	if _, err := svc.Verify(context.Background(), "nobody@example.org", goodPassword); err != user.ErrInvalidCredentials {
		t.Fatalf("Verify = %v", err)
	}
	got := w.take()
	if len(got) != 1 || got[0] <= user.DefaultFailureFloor-time.Second || got[0] > user.DefaultFailureFloor {
		t.Errorf("waits %v; want one close to DefaultFailureFloor %v", got, user.DefaultFailureFloor)
	}
	if user.DefaultFailureFloor < 3*time.Second {
		t.Errorf("DefaultFailureFloor = %v; want at least 3s, nearly three times bcrypt cost 14 on the reference machine", user.DefaultFailureFloor)
	}
}

// TestVerifyFloorComesAfterTheFailureWrite: the wait starts once the
// failure is counted, so that the write transaction, whose lock wait
// varies, is inside the floor too.
func TestVerifyFloorComesAfterTheFailureWrite(t *testing.T) {
	w := &waits{}
	svc, _, _ := newService(t, user.WithFailureFloor(time.Second), user.WithSleep(w.sleep))
	mustRegister(t, svc, "alice@example.org")
	var counted []int
	w.check = func() { counted = append(counted, mustGet(t, svc, "alice@example.org").FailedLogins) }
	for range 3 {
		failVerify(t, svc, "alice@example.org", wrongPassword)
	}
	if fmt.Sprint(counted) != "[1 2 3]" {
		t.Errorf("FailedLogins seen at each wait = %v; want [1 2 3]", counted)
	}
}

// TestVerifyFloorCoversTheCheckpoint: a failure that counted wrote to the
// write-ahead log, one that did not (an unknown email, a locked account)
// did not; closing the database then costs a checkpoint and an fsync for
// the first only, after the floor. So the log is copied into the database
// file before the wait: the file has changed by then.
func TestVerifyFloorCoversTheCheckpoint(t *testing.T) {
	sqliteOnly(t, "the write-ahead log's checkpoint at close is SQLite's; a PostgreSQL server writes its log itself")
	w := &waits{}
	svc, store, _ := newService(t, user.WithFailureFloor(time.Second), user.WithSleep(w.sleep))
	mustRegister(t, svc, "alice@example.org")
	file := func() string {
		t.Helper()
		b, err := os.ReadFile(store.Location())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// Start from an empty log, so that only the failure's write is left
	// to copy.
	if _, err := shellDB(t, store).Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	before := file()
	var changed []bool
	w.check = func() { changed = append(changed, file() != before) }
	failVerify(t, svc, "alice@example.org", wrongPassword)
	if fmt.Sprint(changed) != "[true]" {
		t.Errorf("database file changed by the wait: %v; want [true] (the failure's write checkpointed)", changed)
	}
	if u := mustGet(t, svc, "alice@example.org"); u.FailedLogins != 1 {
		t.Errorf("FailedLogins = %d; want 1", u.FailedLogins)
	}
}

// TestVerifyFloorCountsTimeSpent: the wait is the floor less the time the
// clock saw the verify take; a verify that overran the floor waits for the
// next multiple of it, so that an overrun shows as whole floors only.
func TestVerifyFloorCountsTimeSpent(t *testing.T) {
	for _, step := range []time.Duration{time.Millisecond, 7 * time.Millisecond, 90 * time.Millisecond, 400 * time.Millisecond, 1300 * time.Millisecond} {
		t.Run(step.String(), func(t *testing.T) {
			const floor = time.Second
			// A clock that moves step at every reading, and remembers
			// them.
			var mu sync.Mutex
			var readings []time.Time
			at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			tick := func() time.Time {
				mu.Lock()
				defer mu.Unlock()
				at = at.Add(step)
				readings = append(readings, at)
				return at
			}
			w := &waits{}
			svc, _, _ := newService(t, user.WithClock(tick), user.WithFailureFloor(floor), user.WithSleep(w.sleep))
			mustRegister(t, svc, "alice@example.org")
			for _, email := range []string{"alice@example.org", "nobody@example.org"} {
				mu.Lock()
				readings = nil
				mu.Unlock()
				w.check = func() {
					mu.Lock()
					defer mu.Unlock()
					readings = append(readings, time.Time{}) // marks the wait
				}
				failVerify(t, svc, email, wrongPassword)
				got := w.take()
				if len(got) != 1 {
					t.Fatalf("%s: waits %v; want one", email, got)
				}
				mu.Lock()
				marker := slices.Index(readings, time.Time{})
				if marker < 1 {
					mu.Unlock()
					t.Fatalf("%s: the clock was not read before the wait", email)
				}
				// The first reading starts the verify; the last before
				// the wait ends what it spent.
				start, end := readings[0], readings[marker-1]
				mu.Unlock()
				spent := end.Sub(start)
				total := spent + got[0]
				if got[0] <= 0 || got[0] > floor || total%floor != 0 {
					t.Errorf("%s: spent %v, waited %v; want a wait in (0, %v] that ends at a multiple of %v", email, spent, got[0], floor, floor)
				}
				if spent < floor && total != floor {
					t.Errorf("%s: spent %v, waited %v; want to end at the floor %v", email, spent, got[0], floor)
				}
			}
		})
	}
}

// TestVerifyFloorHonoursCancellation: a failure waiting out the floor ends
// when the context does, with the context's error, and the failure is
// counted all the same.
func TestVerifyFloorHonoursCancellation(t *testing.T) {
	// The real sleep, with a floor no test would wait for.
	svc, _, _ := newService(t, user.WithFailureFloor(time.Hour))
	mustRegister(t, svc, "alice@example.org")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := svc.Verify(ctx, "alice@example.org", wrongPassword)
		done <- err
	}()
	// Cancel once the failure is on disk: the verify is then waiting.
	for mustGet(t, svc, "alice@example.org").FailedLogins == 0 {
		select {
		case err := <-done:
			t.Fatalf("Verify returned %v before waiting out the floor", err)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Verify cancelled while waiting = %v; want context.Canceled", err)
	}
	// A verify started with a context already ended does not wait either.
	if _, err := svc.Verify(ctx, "nobody@example.org", wrongPassword); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify with an ended context = %v; want context.Canceled", err)
	}
}
