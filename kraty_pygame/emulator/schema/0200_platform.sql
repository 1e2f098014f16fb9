-- Platform features: friends, presence, blocks, gifts, level rewards.
-- Timestamps are ISO-8601 UTC strings with milliseconds (they sort as text).

CREATE TABLE IF NOT EXISTS friend_codes (
    player_id    TEXT PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS presence (
    player_id       TEXT PRIMARY KEY,
    last_active_at  TEXT NOT NULL,
    status          TEXT
) WITHOUT ROWID;

-- One row per direction: (A, B) and (B, A) both exist while A and B are friends.
CREATE TABLE IF NOT EXISTS friendships (
    player_id    TEXT NOT NULL,
    friend_id    TEXT NOT NULL,
    since        TEXT NOT NULL,
    PRIMARY KEY (player_id, friend_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS friend_requests (
    id            TEXT PRIMARY KEY,
    from_player   TEXT NOT NULL,
    to_player     TEXT NOT NULL,
    status        TEXT NOT NULL,          -- pending | accepted | declined | cancelled
    created_at    TEXT NOT NULL,
    resolved_at   TEXT
);
CREATE INDEX IF NOT EXISTS friend_requests_to ON friend_requests (to_player, status);
CREATE INDEX IF NOT EXISTS friend_requests_from ON friend_requests (from_player, status);

CREATE TABLE IF NOT EXISTS blocks (
    player_id    TEXT NOT NULL,
    blocked_id   TEXT NOT NULL,
    blocked_at   TEXT NOT NULL,
    PRIMARY KEY (player_id, blocked_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS gifts (
    id             TEXT PRIMARY KEY,
    grant_id       TEXT NOT NULL,
    sender_id      TEXT NOT NULL,
    recipient_id   TEXT NOT NULL,
    type           TEXT NOT NULL,         -- currency | item
    resource_key   TEXT NOT NULL,
    amount         INTEGER NOT NULL,
    message        TEXT,
    sent_at        TEXT NOT NULL,
    sent_day       TEXT NOT NULL          -- local date in the game's timezone (daily limit)
);
CREATE INDEX IF NOT EXISTS gifts_sender ON gifts (sender_id, sent_at);
CREATE INDEX IF NOT EXISTS gifts_recipient ON gifts (recipient_id, sent_at);
CREATE INDEX IF NOT EXISTS gifts_pair ON gifts (sender_id, recipient_id, sent_at);

-- Level rewards are paid once per player, derived resource and level.
CREATE TABLE IF NOT EXISTS level_rewards_paid (
    player_id     TEXT NOT NULL,
    economy_key   TEXT NOT NULL,
    level         INTEGER NOT NULL,
    paid_at       TEXT NOT NULL,
    PRIMARY KEY (player_id, economy_key, level)
) WITHOUT ROWID;
