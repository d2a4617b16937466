-- The head of the audit chain: the id and hash of its newest entry, written
-- by ctitui in the same transaction as every entry it appends. The chain
-- alone shows an entry changed, inserted or removed in the middle; it cannot
-- show that the newest entries were removed, or all of them. The head can: a
-- log that ends before its head, or is empty while its head names an entry,
-- was cut. Someone who rewrites the head as well is caught only by a head
-- noted outside the database (`ctitui audit verify --anchor`).
--
-- Migration 7 sealed the log; its newest entry is the head. A log whose seal
-- record is gone gets no head, and ctitui appends nothing to it until
-- someone has looked (`ctitui doctor`).

-- +goose Up
CREATE TABLE audit_head (
    id        integer PRIMARY KEY CHECK (id = 1),
    last_id   bigint NOT NULL,
    last_hash text NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash)
SELECT 1, COALESCE((SELECT id FROM audit_log ORDER BY id DESC LIMIT 1), 0),
       COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), '')
WHERE EXISTS (SELECT 1 FROM settings WHERE key = 'audit_chain_sealed_at');

-- +goose Down
DROP TABLE audit_head;
