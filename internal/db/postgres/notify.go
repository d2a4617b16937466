package postgres

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// changesChannel is the channel that the statement-level triggers on
// ctitui's tables notify at every commit that changed them (migrations 3
// and 6).
const changesChannel = "ctitui_changes"

// DataVersion implements db.Store: a number that changes after any
// connection, this Store's own included, commits a change to ctitui's
// tables. A connection of its own LISTENs on ctitui_changes and counts the
// notifications, which arrive a fraction of a millisecond after the commit
// (measured, see TestDataVersionFollowsCommits); the count also moves when
// that connection is lost and made again, since changes may have been
// missed meanwhile.
//
// LISTEN needs a session of its own: through PgBouncer in transaction
// pooling mode (which hands each transaction any server connection, and
// also breaks the session advisory lock of migrations) no notification
// arrives and the terminal UI shows changes made elsewhere only when it
// reloads. Connect ctitui to the server directly, or through a pool in
// session mode.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return s.changes.version.Load(), nil
}

// changeListener keeps a connection that listens to changesChannel.
type changeListener struct {
	version atomic.Int64
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
}

// startListening connects a session with cfg (ctitui's settings), LISTENs,
// and keeps counting notifications until Close. The first connection is
// made before it returns, so that every change committed after Open counts.
func (s *Store) startListening(ctx context.Context, cfg *pgx.ConnConfig) error {
	cfg = cfg.Copy()
	cfg.RuntimeParams["application_name"] = "ctitui (change listener)"
	conn, err := listen(ctx, cfg)
	if err != nil {
		return fmt.Errorf("listen for changes: %w", err)
	}
	// The listener outlives Open's ctx: it ends with Close.
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l := &changeListener{cancel: cancel, done: make(chan struct{})}
	s.changes = l
	go l.run(lctx, cfg, conn)
	return nil
}

func listen(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, translate(err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+changesChannel); err != nil {
		conn.Close(context.WithoutCancel(ctx)) //nolint:errcheck // the LISTEN's error is the story
		return nil, translate(err)
	}
	return conn, nil
}

// run counts the notifications conn receives; when the connection fails it
// counts one more (changes may have gone unseen) and connects again, every
// second at most, until ctx ends.
func (l *changeListener) run(ctx context.Context, cfg *pgx.ConnConfig, conn *pgx.Conn) {
	defer close(l.done)
	for {
		if conn != nil {
			l.count(ctx, conn)
			if ctx.Err() != nil {
				return
			}
			// Changes may have been committed unseen.
			l.version.Add(1)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		var err error
		if conn, err = listen(ctx, cfg); err == nil {
			// Whatever was committed while no one listened.
			l.version.Add(1)
		}
	}
}

// count counts the notifications conn receives until it fails or ctx ends,
// and closes it.
func (l *changeListener) count(ctx context.Context, conn *pgx.Conn) {
	defer conn.Close(context.WithoutCancel(ctx)) //nolint:errcheck // the connection is being given up
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return
		}
		l.version.Add(1)
	}
}

// close stops listening and waits until the connection is closed.
func (l *changeListener) close() {
	if l == nil {
		return
	}
	l.once.Do(func() {
		l.cancel()
		<-l.done
	})
}
