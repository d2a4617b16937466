-- Search that stays instant however its matches are spread: users' rowids are
-- made to follow the listing's order (created_at, id), so the trigram index,
-- which hands its matches out in rowid order, gives the newest matches first
-- and a page of results never needs every match fetched and sorted.
--
-- A database whose users were added over time is already in that order and
-- keeps its rowids: renumbering a million rows rewrites the table, its indexes
-- and the search index (minutes), so only a file out of order is renumbered.
-- ctitui gives each new user the rowid that keeps the order: its created_at in
-- milliseconds times 16 where that fits between its neighbours,
-- so a user added later with an older created_at (an import) usually finds a
-- free rowid (internal/db/order.go). users_order records whether the order
-- holds: the triggers below clear it when a row is written out of order (by
-- another tool, or when no rowid was free), searches then use plans that do
-- not rely on it, and `ctitui doctor --fix` renumbers the rows with the block
-- marked below, which internal/db's renumberUsersSQL reads from this file.

-- +goose Up
CREATE TABLE users_order (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    in_order INTEGER NOT NULL CHECK (in_order IN (0, 1))
);
INSERT INTO users_order (id, in_order)
SELECT 1, NOT EXISTS (
    SELECT 1 FROM users u
    WHERE (u.created_at, u.id) > (SELECT n.created_at, n.id FROM users n WHERE n.rowid > u.rowid ORDER BY n.rowid LIMIT 1)
);

-- renumber users: begin
CREATE TEMP TABLE users_renumber (old_rowid INTEGER PRIMARY KEY, new_rowid INTEGER NOT NULL);
INSERT INTO users_renumber (old_rowid, new_rowid)
SELECT old_rowid, new_rowid FROM (
    SELECT old_rowid,
           pos * 16 + COALESCE(max(preferred - pos * 16) OVER (ORDER BY pos ROWS UNBOUNDED PRECEDING), min(preferred - pos * 16) OVER (), 0) AS new_rowid
    FROM (
        SELECT rowid AS old_rowid,
               row_number() OVER (ORDER BY created_at, id) AS pos,
               CASE WHEN ms BETWEEN -62135596800000 AND 253402300799999 THEN ms * 16 END AS preferred
        FROM (SELECT rowid, created_at, id, CAST(round((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER) AS ms FROM users WHERE (SELECT in_order FROM users_order) = 0)
    )
) WHERE new_rowid IS NOT old_rowid;
CREATE TEMP TABLE users_renumber_shift AS
SELECT shift, lo, CASE
        WHEN shift IS NULL THEN 1
        WHEN typeof(shift) = 'integer' AND min_old - shift > -9000000000000000000 THEN 1
        ELSE 0
    END AS ok FROM (
    SELECT max_old - lo + 1 AS shift, lo, min_old FROM (
        SELECT (SELECT max(old_rowid) FROM users_renumber) AS max_old,
               (SELECT min(old_rowid) FROM users_renumber) AS min_old,
               min((SELECT min(rowid) FROM users), (SELECT min(new_rowid) FROM users_renumber)) AS lo
    )
);
UPDATE users SET rowid = rowid - (SELECT shift FROM users_renumber_shift)
WHERE rowid IN (SELECT old_rowid FROM users_renumber) AND (SELECT ok FROM users_renumber_shift);
UPDATE users SET rowid = (SELECT new_rowid FROM users_renumber WHERE old_rowid = users.rowid + (SELECT shift FROM users_renumber_shift))
WHERE rowid < (SELECT lo FROM users_renumber_shift) AND (SELECT ok FROM users_renumber_shift);
INSERT INTO users_email_search (users_email_search)
SELECT 'rebuild' FROM users_renumber_shift WHERE ok AND shift IS NOT NULL;
UPDATE users_order SET in_order = COALESCE((SELECT ok FROM users_renumber_shift), 1);
DROP TABLE temp.users_renumber_shift;
DROP TABLE temp.users_renumber;
-- renumber users: end

-- +goose StatementBegin
CREATE TRIGGER users_order_insert AFTER INSERT ON users
WHEN (NEW.created_at, NEW.id) < (SELECT created_at, id FROM users WHERE rowid < NEW.rowid ORDER BY rowid DESC LIMIT 1)
  OR (NEW.created_at, NEW.id) > (SELECT created_at, id FROM users WHERE rowid > NEW.rowid ORDER BY rowid LIMIT 1)
BEGIN
    UPDATE users_order SET in_order = 0 WHERE in_order = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER users_order_update AFTER UPDATE ON users
WHEN NEW.rowid IS NOT OLD.rowid OR NEW.id IS NOT OLD.id OR NEW.created_at IS NOT OLD.created_at
BEGIN
    UPDATE users_order SET in_order = 0 WHERE in_order = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER users_order_update;
DROP TRIGGER users_order_insert;
DROP TABLE users_order;
