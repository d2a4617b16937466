package user_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ctitui/ctitui/internal/user"
)

// TestRegisterStopsWhenTheLookAlikeCheckFails: the look-alike check is a
// read; when it fails (a broken disk, a damaged index), Register returns
// its error and adds no one, rather than taking the failure for "no user
// looks like this one".
func TestRegisterStopsWhenTheLookAlikeCheckFails(t *testing.T) {
	ctx := context.Background()
	svc, h, plain, _ := newHookedService(t)
	broken := errors.New("disk I/O error")
	h.lookingLikeErr = broken
	if u, err := svc.Register(ctx, "new@example.org", goodPassword, nil); !errors.Is(err, broken) {
		t.Fatalf("Register with the look-alike check failing = %+v, %v; want %v", u, err, broken)
	}
	n, err := plain.Count(ctx, user.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d users after a failed Register; want 0", n)
	}
}
