-- Substring search on emails that stays fast at a million users: an FTS5
-- index of trigrams over users.email_normalized, kept in sync by triggers so
-- that rows written by any tool are found. It is an external-content table:
-- the emails are stored once, in users; 'rebuild' recreates the index from
-- users if the two ever disagree.

-- +goose Up
CREATE VIRTUAL TABLE users_email_search USING fts5(
    email_normalized,
    content = 'users',
    content_rowid = 'rowid',
    tokenize = 'trigram'
);
INSERT INTO users_email_search (users_email_search) VALUES ('rebuild');

-- +goose StatementBegin
CREATE TRIGGER users_email_search_insert AFTER INSERT ON users
BEGIN
    INSERT INTO users_email_search (rowid, email_normalized) VALUES (NEW.rowid, NEW.email_normalized);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER users_email_search_delete AFTER DELETE ON users
BEGIN
    INSERT INTO users_email_search (users_email_search, rowid, email_normalized) VALUES ('delete', OLD.rowid, OLD.email_normalized);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER users_email_search_update AFTER UPDATE OF email_normalized ON users
WHEN NEW.email_normalized IS NOT OLD.email_normalized
BEGIN
    INSERT INTO users_email_search (users_email_search, rowid, email_normalized) VALUES ('delete', OLD.rowid, OLD.email_normalized);
    INSERT INTO users_email_search (rowid, email_normalized) VALUES (NEW.rowid, NEW.email_normalized);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER users_email_search_update;
DROP TRIGGER users_email_search_delete;
DROP TRIGGER users_email_search_insert;
DROP TABLE users_email_search;
