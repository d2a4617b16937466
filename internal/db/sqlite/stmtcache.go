package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache prepares each query once on its database or transaction and
// reuses it. It implements queryer. Statements prepared on a transaction
// close with it.
type stmtCache struct {
	mu     sync.Mutex
	direct preparer
	stmts  map[string]*sql.Stmt
}

// preparer is what *sql.DB and *sql.Tx offer to a stmtCache.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func newStmtCache(p preparer) *stmtCache {
	return &stmtCache{direct: p, stmts: map[string]*sql.Stmt{}}
}

// stmt returns query prepared, preparing it on first use.
func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.direct.PrepareContext(ctx, query) //nolint:sqlclosecheck // kept for reuse; close, or the transaction's end, closes it
	if err != nil {
		return nil, translate(err)
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query) //nolint:sqlclosecheck // the cache's statement, closed by close
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query) //nolint:sqlclosecheck // the cache's statement, closed by close
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query) //nolint:sqlclosecheck // the cache's statement, closed by close
	if err != nil {
		// A Row cannot be made to carry err: run the query unprepared, and
		// its Scan reports the same failure.
		return c.direct.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// close releases the statements.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		// A statement that fails to close holds nothing that closing the
		// database, which follows, does not release.
		st.Close() //nolint:errcheck // see above
	}
	c.stmts = map[string]*sql.Stmt{}
}
