package user_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ctitui/ctitui/internal/user"
)

// hookedStore is a real store of the engine under test that lets a test see
// and steer what a Service asks of it: act between two of its steps (as a
// concurrent command would), count its write transactions, or make one
// method fail as a broken disk or a dropped index would.
type hookedStore struct {
	testStore

	mu sync.Mutex
	// afterUserByEmail, when set, runs once, after the next UserByEmail
	// outside a transaction has read its user.
	afterUserByEmail func()
	// lookingLikeErr, when set, is what UserLookingLike returns.
	lookingLikeErr error

	txs atomic.Int64 // calls of WithTx
}

var _ user.Store = (*hookedStore)(nil)

func (h *hookedStore) UserByEmail(ctx context.Context, normalized string) (user.User, error) {
	u, err := h.testStore.UserByEmail(ctx, normalized)
	h.mu.Lock()
	hook := h.afterUserByEmail
	h.afterUserByEmail = nil
	h.mu.Unlock()
	if hook != nil {
		hook()
	}
	return u, err
}

func (h *hookedStore) UserLookingLike(ctx context.Context, skeleton, normalized string) (user.User, error) {
	h.mu.Lock()
	err := h.lookingLikeErr
	h.mu.Unlock()
	if err != nil {
		return user.User{}, err
	}
	return h.testStore.UserLookingLike(ctx, skeleton, normalized)
}

func (h *hookedStore) WithTx(ctx context.Context, fn func(user.Tx) error) error {
	h.txs.Add(1)
	return h.testStore.WithTx(ctx, fn)
}

// hook sets what runs once after the next UserByEmail.
func (h *hookedStore) hook(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.afterUserByEmail = f
}

// newHookedService is newService over a hookedStore, with the same
// options; plain is a Service over the same file without hooks, for the
// test's own changes.
func newHookedService(t *testing.T, opts ...user.Option) (svc *user.Service, h *hookedStore, plain *user.Service, c *clock) {
	t.Helper()
	plain, store, c := newService(t, opts...)
	h = &hookedStore{testStore: store}
	return user.NewService(h, append(serviceOptions(c), opts...)...), h, plain, c
}
