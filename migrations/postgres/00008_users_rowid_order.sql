-- Nothing to do on PostgreSQL. On SQLite this version makes users' rowids
-- follow the listing's order (created_at, id), because SQLite's trigram
-- index hands out its matches in rowid order. PostgreSQL has no rowid, and a
-- search here reads the pg_trgm index of migration 5 and sorts its matches
-- by the listing's btree indexes, so no order has to be kept and there is no
-- users_order table. The version exists so that both engines count their
-- schemas alike (migrations/embed_test.go keeps the two lists equal).

-- +goose Up

-- +goose Down
