package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

// The settings table's keys of the lockout policy. The table holds other
// settings too (see chainSealedKey).
const (
	lockoutThresholdKey = "lockout_threshold"
	lockoutMinutesKey   = "lockout_minutes"
	// passwordHashKey holds the scheme of new password hashes (argon2id or
	// bcrypt), which internal/user judges; see user.Store.
	passwordHashKey = "password_hash"
)

// LockoutPolicy implements user.Store.
func (s *Store) LockoutPolicy(ctx context.Context) (user.LockoutPolicy, error) {
	return lockoutPolicy(ctx, s.db)
}

// LockoutPolicy implements user.Tx.
func (t *storeTx) LockoutPolicy(ctx context.Context) (user.LockoutPolicy, error) {
	return lockoutPolicy(ctx, t.tx)
}

// lockoutPolicy reads the policy, falling back to the default for a setting
// that is missing or that another tool set to nonsense: a broken setting
// must not unlock every account.
func lockoutPolicy(ctx context.Context, q queryer) (user.LockoutPolicy, error) {
	p := user.DefaultLockout
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM settings WHERE key IN (?, ?)`, lockoutThresholdKey, lockoutMinutesKey)
	if err != nil {
		return p, fmt.Errorf("read settings: %w", translate(err))
	}
	defer rows.Close()
	read := p
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			return p, fmt.Errorf("read settings: %w", translate(err))
		}
		n, err := strconv.Atoi(value)
		if err != nil {
			continue
		}
		switch key {
		case lockoutThresholdKey:
			read.Threshold = n
		case lockoutMinutesKey:
			read.Duration = time.Duration(n) * time.Minute
		}
	}
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("read settings: %w", translate(err))
	}
	if read.Validate() != nil {
		return p, nil
	}
	return read, nil
}

// SetLockoutPolicy implements user.Tx.
func (t *storeTx) SetLockoutPolicy(ctx context.Context, p user.LockoutPolicy, at time.Time) error {
	for key, value := range map[string]int{lockoutThresholdKey: p.Threshold, lockoutMinutesKey: int(p.Duration / time.Minute)} {
		_, err := t.tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			key, strconv.Itoa(value), user.FormatTime(at))
		if err != nil {
			return fmt.Errorf("write settings: %w", translate(err))
		}
	}
	return nil
}

// PasswordHashSetting implements user.Store.
func (s *Store) PasswordHashSetting(ctx context.Context) (string, error) {
	return passwordHashSetting(ctx, s.db)
}

// PasswordHashSetting implements user.Tx.
func (t *storeTx) PasswordHashSetting(ctx context.Context) (string, error) {
	return passwordHashSetting(ctx, t.tx)
}

// passwordHashSetting returns the stored value verbatim, "" when there is
// none: what a value means, and what applies without one, is
// internal/user's to decide for every engine alike.
func passwordHashSetting(ctx context.Context, q queryer) (string, error) {
	var value string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, passwordHashKey).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read settings: %w", translate(err))
	}
	return value, nil
}

// SetPasswordHashSetting implements user.Tx.
func (t *storeTx) SetPasswordHashSetting(ctx context.Context, scheme password.Scheme, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		passwordHashKey, string(scheme), user.FormatTime(at))
	if err != nil {
		return fmt.Errorf("write settings: %w", translate(err))
	}
	return nil
}
