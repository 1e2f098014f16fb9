-- Core emulator state. Timestamps are ISO strings
-- (YYYY-MM-DDTHH:MM:SS.mmmZ), which sort like the instants they name.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE players (
    id                TEXT PRIMARY KEY,
    external_id       TEXT NOT NULL UNIQUE,
    secret_hash       TEXT,
    secret_prefix     TEXT,
    registered_at     TEXT,
    banned_at         TEXT,
    ban_reason        TEXT,
    country           TEXT,
    display_name      TEXT,
    display_avatar    TEXT,
    synthetic_name    TEXT,
    synthetic_avatar  TEXT,
    metadata          TEXT NOT NULL DEFAULT '{}',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE TABLE wallet (
    player_id    TEXT NOT NULL,
    economy_key  TEXT NOT NULL,
    balance      INTEGER NOT NULL,
    metadata     TEXT NOT NULL DEFAULT '{}',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (player_id, economy_key)
) WITHOUT ROWID;

CREATE TABLE inventory (
    player_id   TEXT NOT NULL,
    item_key    TEXT NOT NULL,
    quantity    INTEGER NOT NULL,
    metadata    TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (player_id, item_key)
) WITHOUT ROWID;

CREATE TABLE ledger (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
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
CREATE INDEX ledger_player ON ledger(player_id, id);

CREATE TABLE windows (
    event_key         TEXT NOT NULL,
    window_id         TEXT NOT NULL,
    starts_at         TEXT NOT NULL,
    ends_at           TEXT NOT NULL,
    leaderboard_id    TEXT NOT NULL UNIQUE,
    finalized         INTEGER NOT NULL DEFAULT 0,
    finalized_reason  TEXT,
    finalized_at      TEXT,
    PRIMARY KEY (event_key, window_id)
);

CREATE TABLE lobbies (
    id                TEXT PRIMARY KEY,
    event_key         TEXT NOT NULL,
    window_id         TEXT NOT NULL,
    leaderboard_id    TEXT NOT NULL UNIQUE,
    capacity          INTEGER NOT NULL,
    created_at        TEXT NOT NULL,
    fill_by           TEXT,
    status            TEXT NOT NULL,          -- forming | active | closed
    started_at        TEXT,
    ends_at           TEXT,
    bots_seated       INTEGER NOT NULL DEFAULT 0,
    fill_bots         INTEGER NOT NULL,
    fill_strategy     TEXT NOT NULL,
    fill_timeout_s    REAL NOT NULL,
    bot_fill_delay_s  REAL NOT NULL,
    bot_drip_interval_s REAL NOT NULL,
    session_duration_s REAL NOT NULL,
    external_key      TEXT,                   -- the studio's idempotency token of a server-made lobby
    closed_at         TEXT
);
CREATE INDEX lobbies_forming ON lobbies(event_key, window_id, status);
CREATE UNIQUE INDEX lobbies_external_key ON lobbies(event_key, external_key)
    WHERE external_key IS NOT NULL;

CREATE TABLE lobby_members (
    lobby_id   TEXT NOT NULL,
    player_id  TEXT NOT NULL,
    joined_at  TEXT NOT NULL,
    PRIMARY KEY (lobby_id, player_id)
) WITHOUT ROWID;
CREATE INDEX lobby_members_player ON lobby_members(player_id);

CREATE TABLE attempts (
    id              TEXT PRIMARY KEY,
    player_id       TEXT NOT NULL,
    event_key       TEXT NOT NULL,
    window_id       TEXT NOT NULL,
    leaderboard_id  TEXT NOT NULL,
    lobby_id        TEXT,
    started_at      TEXT NOT NULL,
    started_day     TEXT NOT NULL,            -- local date in the event's timezone (daily caps)
    ends_at         TEXT NOT NULL,
    completed_at    TEXT,
    metrics         TEXT NOT NULL DEFAULT '{}',
    metrics_raw     TEXT NOT NULL DEFAULT '{}',
    score           REAL NOT NULL DEFAULT 0,
    status          TEXT NOT NULL,            -- in_progress | completed | expired | force_completed
    fired           TEXT NOT NULL DEFAULT '[]',
    player_context  TEXT NOT NULL DEFAULT '{}',
    last_progress_at TEXT
);
CREATE INDEX attempts_player_window ON attempts(player_id, event_key, window_id);
CREATE INDEX attempts_player_day ON attempts(player_id, event_key, started_day);
CREATE INDEX attempts_open ON attempts(status, ends_at);

CREATE TABLE grants (
    id               TEXT PRIMARY KEY,
    player_id        TEXT NOT NULL,
    kind             TEXT NOT NULL,           -- reward | crate
    contents         TEXT NOT NULL,
    source_kind      TEXT NOT NULL,
    source_ref_id    TEXT,
    parent_grant_id  TEXT,
    status           TEXT NOT NULL,           -- pending | claimed | expired
    rolled_at        TEXT,
    claimed_at       TEXT,
    expires_at       TEXT,
    created_at       TEXT NOT NULL,
    opened_grant_id  TEXT,                    -- crate: the contents grant it rolled
    metadata         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX grants_player_status ON grants(player_id, status, created_at);

CREATE TABLE idempotency (
    scope        TEXT PRIMARY KEY,            -- sha256 of (api key, player, method, path, key)
    fingerprint  TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         BLOB NOT NULL,
    stored_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
