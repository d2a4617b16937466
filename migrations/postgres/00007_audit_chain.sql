-- The audit log becomes a hash chain (internal/db/chain.go): every row
-- stores prev_hash, the hash of the row before it ('' for the first), and
-- hash, the SHA-256 of the chain's version, prev_hash and the row's columns,
-- each written as its length in bytes, a colon, its UTF-8 bytes and a
-- newline (a NULL user_id as length -1). at is written as ctitui writes
-- times, 2006-01-02T15:04:05.000Z in UTC. The PostgreSQL engine checks and
-- extends the chain with db.AuditEntryHash, so both engines agree on it.
--
-- This migration adds the columns, seals the rows written before, and
-- records that it did (settings audit_chain_sealed_at), all in its
-- transaction, as SQLite's does in Go (internal/db/migrate.go); PostgreSQL
-- has sha256() of its own. Sealing here, once, in the step that makes the
-- columns, means that no later open ever hashes a log that lacks them: a log
-- stripped of its hashes afterwards is evidence, not a log to seal.

-- +goose Up
ALTER TABLE audit_log ADD COLUMN prev_hash text;
ALTER TABLE audit_log ADD COLUMN hash text;

-- +goose StatementBegin
DO $$
DECLARE
    r      record;
    prev   text := '';
    h      text;
    buf    bytea;
    field  text;
    b      bytea;
BEGIN
    FOR r IN SELECT id, at, actor, action, user_id, user_email, details FROM audit_log ORDER BY id LOOP
        buf := ''::bytea;
        FOREACH field IN ARRAY ARRAY[
            'ctitui-audit-chain-v1', prev, r.id::text,
            to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            r.actor, r.action, r.user_id, r.user_email, r.details]
        LOOP
            IF field IS NULL THEN
                buf := buf || convert_to(E'-1:\n', 'UTF8');
            ELSE
                b := convert_to(field, 'UTF8');
                buf := buf || convert_to(length(b)::text || ':', 'UTF8') || b || convert_to(E'\n', 'UTF8');
            END IF;
        END LOOP;
        h := encode(sha256(buf), 'hex');
        UPDATE audit_log SET prev_hash = prev, hash = h WHERE id = r.id;
        prev := h;
    END LOOP;
END
$$;
-- +goose StatementEnd

INSERT INTO settings (key, value, updated_at)
VALUES ('audit_chain_sealed_at',
        to_char(date_trunc('milliseconds', clock_timestamp()) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        date_trunc('milliseconds', clock_timestamp()));

-- +goose Down
DELETE FROM settings WHERE key = 'audit_chain_sealed_at';
ALTER TABLE audit_log DROP COLUMN hash;
ALTER TABLE audit_log DROP COLUMN prev_hash;
