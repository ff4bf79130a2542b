-- supine journal, SQLite schema version 2: where it hurts, whether it spreads down a leg, and the
-- Patient-Specific Functional Scale. Append-only: never edit this file once it has landed.

-- A JSON array of "lower_back", "hips", "leg", sorted; empty when not asked.
ALTER TABLE sessions ADD COLUMN pain_areas TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(pain_areas) AND json_type(pain_areas) = 'array');
ALTER TABLE sessions ADD COLUMN pain_spreads INTEGER CHECK (pain_spreads IN (0, 1));

-- Import looks sessions up by (profile, start text, routine) to add nothing twice.
CREATE INDEX sessions_by_start_text ON sessions (profile_id, started_at, routine_id);

CREATE TABLE psfs_entries (
    id          INTEGER PRIMARY KEY,
    profile_id  INTEGER NOT NULL REFERENCES profiles (id),
    taken_at    TEXT    NOT NULL,
    taken_at_ms INTEGER NOT NULL,
    UNIQUE (profile_id, taken_at)
);

CREATE INDEX psfs_entries_by_time ON psfs_entries (profile_id, taken_at_ms, id);

CREATE TABLE psfs_items (
    entry_id INTEGER NOT NULL REFERENCES psfs_entries (id),
    position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 2),
    activity TEXT    NOT NULL CHECK (length(activity) BETWEEN 1 AND 200),
    score    INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    PRIMARY KEY (entry_id, position),
    UNIQUE (entry_id, activity)
);
