-- The ledger without AUTOINCREMENT and without its (player_id, id) index.
-- Ledger rows are never deleted, so a plain INTEGER PRIMARY KEY hands out the same
-- ever-growing ids; AUTOINCREMENT only added a write of sqlite_sequence to every
-- holding change. No query reads the ledger by player, so the index was written on
-- every change and never used. Existing rows keep their ids.

CREATE TABLE ledger_next (
    id             INTEGER PRIMARY KEY,
    player_id      TEXT NOT NULL,
    kind           TEXT NOT NULL,          -- 'wallet' | 'inventory'
    key            TEXT NOT NULL,
    delta          INTEGER NOT NULL,
    after          INTEGER NOT NULL,
    reason         TEXT,
    origin         TEXT NOT NULL,          -- 'client' | 'server' | 'admin' | 'engine'
    source_ref_id  TEXT,
    occurred_at    TEXT NOT NULL
);

INSERT INTO ledger_next (id, player_id, kind, key, delta, after, reason, origin,
                         source_ref_id, occurred_at)
    SELECT id, player_id, kind, key, delta, after, reason, origin, source_ref_id, occurred_at
    FROM ledger ORDER BY id;

DROP TABLE ledger;

ALTER TABLE ledger_next RENAME TO ledger;
