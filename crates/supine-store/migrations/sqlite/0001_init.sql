-- supine journal, SQLite schema version 1.
-- Append-only: never edit this file once it has landed; add 0002_*.sql instead.
--
-- Every timestamp is kept twice: the caller's RFC 3339 text (with its local offset) for display,
-- and the same instant as UTC unix milliseconds (`*_ms`) for ordering and comparison.

-- Marks the file as a supine journal (b"SUPN"), so other programs' databases are told apart.
PRAGMA application_id = 1398100046;

CREATE TABLE profiles (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64)
);

INSERT INTO profiles (name) VALUES ('local');

CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    profile_id      INTEGER NOT NULL REFERENCES profiles (id),
    started_at      TEXT    NOT NULL,
    started_at_ms   INTEGER NOT NULL,
    last_seen_at    TEXT    NOT NULL,
    last_seen_at_ms INTEGER NOT NULL,
    ended_at        TEXT,
    ended_at_ms     INTEGER,
    routine_id      TEXT    NOT NULL,
    routine_name    TEXT    NOT NULL,
    settings        TEXT    NOT NULL CHECK (json_valid(settings)),
    status          TEXT    NOT NULL DEFAULT 'open'
                            CHECK (status IN ('open', 'finished', 'interrupted')),
    end_reason      TEXT,
    pain_before     INTEGER CHECK (pain_before BETWEEN 0 AND 10),
    pain_after      INTEGER CHECK (pain_after BETWEEN 0 AND 10),
    plan_total_ms   INTEGER NOT NULL CHECK (plan_total_ms >= 0),
    segments_total  INTEGER NOT NULL CHECK (segments_total >= 0),
    CHECK ((status = 'finished') = (ended_at IS NOT NULL AND ended_at_ms IS NOT NULL))
);

CREATE INDEX sessions_by_start ON sessions (profile_id, started_at_ms DESC, id DESC);
CREATE INDEX sessions_open_by_last_seen ON sessions (profile_id, status, last_seen_at_ms);

CREATE TABLE session_events (
    id         INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    at         TEXT    NOT NULL,
    at_ms      INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (length(kind) > 0),
    data       TEXT    NOT NULL CHECK (json_valid(data))
);

CREATE INDEX session_events_by_session ON session_events (session_id, id);

CREATE TABLE screenings (
    id          INTEGER PRIMARY KEY,
    profile_id  INTEGER NOT NULL REFERENCES profiles (id),
    taken_at    TEXT    NOT NULL,
    taken_at_ms INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('full', 'daily')),
    outcome     TEXT    NOT NULL
);

CREATE INDEX screenings_by_kind ON screenings (profile_id, kind, taken_at_ms DESC, id DESC);

CREATE TABLE screening_answers (
    screening_id INTEGER NOT NULL REFERENCES screenings (id),
    position     INTEGER NOT NULL,
    question_id  TEXT    NOT NULL CHECK (length(question_id) > 0),
    answer       TEXT    NOT NULL CHECK (answer IN ('yes', 'no', 'not_sure')),
    PRIMARY KEY (screening_id, position),
    UNIQUE (screening_id, question_id)
);

CREATE TABLE settings (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    key        TEXT    NOT NULL CHECK (length(key) > 0),
    value      TEXT    NOT NULL CHECK (json_valid(value)),
    PRIMARY KEY (profile_id, key)
);
