package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// SetBeforeRestoreCommit makes fn the last step of every restore's
// transaction, and returns what puts the real one back.
func SetBeforeRestoreCommit(fn func() error) (restore func()) {
	old := beforeRestoreCommit
	beforeRestoreCommit = func(context.Context, pgx.Tx) error { return fn() }
	return func() { beforeRestoreCommit = old }
}

// SetBackupCopied makes fn run after each table a backup copies, and
// returns what puts the real one back.
func SetBackupCopied(fn func(table string)) (restore func()) {
	old := backupCopied
	backupCopied = fn
	return func() { backupCopied = old }
}
