-- Leaderboards. Event boards are per event window or per lobby
-- session; keyed boards are cross-event boards partitioned by period and segment.
-- Timestamps are ISO-8601 UTC strings with milliseconds, so they sort as text.

CREATE TABLE IF NOT EXISTS eb_boards (
    leaderboard_id   TEXT PRIMARY KEY,
    event_key        TEXT NOT NULL,
    window_id        TEXT NOT NULL DEFAULT '',
    lobby_id         TEXT,
    mode             TEXT NOT NULL DEFAULT 'global',
    anchor_at        TEXT NOT NULL,           -- window/session start: bots start here
    ends_at          TEXT,                    -- window/session end: bots stop here
    created_at       TEXT NOT NULL,
    finalized        INTEGER NOT NULL DEFAULT 0,
    finalized_reason TEXT,
    finalized_at     TEXT,
    standings_json   TEXT                     -- final standings, frozen at finalization
);

CREATE INDEX IF NOT EXISTS eb_boards_event ON eb_boards (event_key, window_id);

CREATE TABLE IF NOT EXISTS eb_entries (
    leaderboard_id     TEXT NOT NULL,
    participant_id     TEXT NOT NULL,
    kind               TEXT NOT NULL,          -- 'player' | 'bot'
    external_player_id TEXT,
    name               TEXT,
    score              REAL NOT NULL DEFAULT 0,
    reached_at         TEXT NOT NULL,          -- when the current score was reached
    joined_at          TEXT NOT NULL,
    bot_base           REAL,                   -- bots only: score at anchor_at
    bot_rate           REAL,                   -- bots only: points per minute
    PRIMARY KEY (leaderboard_id, participant_id)
);

CREATE INDEX IF NOT EXISTS eb_entries_rank
    ON eb_entries (leaderboard_id, score DESC, reached_at, participant_id);
CREATE INDEX IF NOT EXISTS eb_entries_external
    ON eb_entries (external_player_id, leaderboard_id);

-- Score of every attempt on a board, so the board keeps the best attempt exactly
-- and keyed "sum" boards add true deltas.
CREATE TABLE IF NOT EXISTS eb_attempt_scores (
    leaderboard_id TEXT NOT NULL,
    attempt_ref    TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    score          REAL NOT NULL,
    PRIMARY KEY (leaderboard_id, attempt_ref)
);

CREATE TABLE IF NOT EXISTS kb_entries (
    board_key          TEXT NOT NULL,
    period             TEXT NOT NULL,          -- ISO start of the period
    segment            TEXT NOT NULL DEFAULT '',
    participant_id     TEXT NOT NULL,
    kind               TEXT NOT NULL,
    external_player_id TEXT,
    name               TEXT,
    score              REAL NOT NULL DEFAULT 0,
    reached_at         TEXT NOT NULL,
    joined_at          TEXT NOT NULL,
    bot_base           REAL,
    bot_rate           REAL,
    PRIMARY KEY (board_key, period, segment, participant_id)
);

CREATE INDEX IF NOT EXISTS kb_entries_rank
    ON kb_entries (board_key, period, segment, score DESC, reached_at, participant_id);
CREATE INDEX IF NOT EXISTS kb_entries_external
    ON kb_entries (external_player_id, board_key, period);

-- The segment a player belongs to on a segmented keyed board (set by join/submit,
-- or by division moves between periods on progression boards).
CREATE TABLE IF NOT EXISTS kb_members (
    board_key      TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    segment        TEXT NOT NULL DEFAULT '',
    period         TEXT NOT NULL DEFAULT '',   -- period the segment was last settled for
    PRIMARY KEY (board_key, participant_id)
);
