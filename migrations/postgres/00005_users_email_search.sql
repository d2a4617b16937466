-- Substring search on emails that stays fast at a million users: a pg_trgm
-- GIN index over users.email_normalized, which LIKE '%term%' uses (SQLite
-- keeps an FTS5 trigram table in sync by triggers; PostgreSQL's index is
-- kept by the server). Measured at a million users: 0.5 to 17 ms for most
-- terms; terms led by punctuation (pg_trgm keeps only letters and digits)
-- act like short terms and take longer.
--
-- pg_trgm is a trusted extension: a role with CREATE on the database (its
-- owner has it) installs it; ctitui's role need not be a superuser. Where
-- ctitui's role may not create it, a DBA runs CREATE EXTENSION pg_trgm
-- beforehand, in any schema (public, ctitui, or another): IF NOT EXISTS then
-- does nothing, and the index names the operator class in the schema the
-- extension is in.
--
-- The index is built inside the migration's transaction, which blocks
-- writes to users while it builds (14 s at a million users): nothing on a
-- new database.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('CREATE INDEX users_email_search_idx ON users USING gin (email_normalized %I.gin_trgm_ops)',
        (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'));
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX users_email_search_idx;
