-- supine journal, PostgreSQL schema version 1 (matches SQLite versions 1 and 2).
-- Append-only: never edit this file once it has landed; add 0002_*.sql instead.
--
-- Every timestamp is kept twice: the caller's RFC 3339 text (with its local offset) for display,
-- and the same instant as UTC unix milliseconds (`*_ms`) for ordering and comparison.

CREATE TABLE profiles (
    id   BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 64)
);

INSERT INTO profiles (name) VALUES ('local');

CREATE TABLE sessions (
    id              BIGSERIAL PRIMARY KEY,
    profile_id      BIGINT   NOT NULL REFERENCES profiles (id),
    started_at      TEXT     NOT NULL,
    started_at_ms   BIGINT   NOT NULL,
    last_seen_at    TEXT     NOT NULL,
    last_seen_at_ms BIGINT   NOT NULL,
    ended_at        TEXT,
    ended_at_ms     BIGINT,
    routine_id      TEXT     NOT NULL,
    routine_name    TEXT     NOT NULL,
    settings        JSONB    NOT NULL,
    status          TEXT     NOT NULL DEFAULT 'open'
                             CHECK (status IN ('open', 'finished', 'interrupted')),
    end_reason      TEXT,
    pain_before     SMALLINT CHECK (pain_before BETWEEN 0 AND 10),
    pain_after      SMALLINT CHECK (pain_after BETWEEN 0 AND 10),
    pain_areas      TEXT[]   NOT NULL DEFAULT '{}'
                             CHECK (pain_areas <@ ARRAY['lower_back', 'hips', 'leg']),
    pain_spreads    BOOLEAN,
    plan_total_ms   BIGINT   NOT NULL CHECK (plan_total_ms >= 0),
    segments_total  INTEGER  NOT NULL CHECK (segments_total >= 0),
    CHECK ((status = 'finished') = (ended_at IS NOT NULL AND ended_at_ms IS NOT NULL))
);

CREATE INDEX sessions_by_start ON sessions (profile_id, started_at_ms DESC, id DESC);
CREATE INDEX sessions_open_by_last_seen ON sessions (profile_id, status, last_seen_at_ms);
CREATE INDEX sessions_by_start_text ON sessions (profile_id, started_at, routine_id);

CREATE TABLE session_events (
    id         BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions (id),
    at         TEXT   NOT NULL,
    at_ms      BIGINT NOT NULL,
    kind       TEXT   NOT NULL CHECK (char_length(kind) > 0),
    data       JSONB  NOT NULL
);

CREATE INDEX session_events_by_session ON session_events (session_id, id);

CREATE TABLE screenings (
    id          BIGSERIAL PRIMARY KEY,
    profile_id  BIGINT NOT NULL REFERENCES profiles (id),
    taken_at    TEXT   NOT NULL,
    taken_at_ms BIGINT NOT NULL,
    kind        TEXT   NOT NULL CHECK (kind IN ('full', 'daily')),
    outcome     TEXT   NOT NULL
);

CREATE INDEX screenings_by_kind ON screenings (profile_id, kind, taken_at_ms DESC, id DESC);

CREATE TABLE screening_answers (
    screening_id BIGINT  NOT NULL REFERENCES screenings (id),
    position     INTEGER NOT NULL,
    question_id  TEXT    NOT NULL CHECK (char_length(question_id) > 0),
    answer       TEXT    NOT NULL CHECK (answer IN ('yes', 'no', 'not_sure')),
    PRIMARY KEY (screening_id, position),
    UNIQUE (screening_id, question_id)
);

CREATE TABLE settings (
    profile_id BIGINT NOT NULL REFERENCES profiles (id),
    key        TEXT   NOT NULL CHECK (char_length(key) > 0),
    value      JSONB  NOT NULL,
    PRIMARY KEY (profile_id, key)
);

CREATE TABLE psfs_entries (
    id          BIGSERIAL PRIMARY KEY,
    profile_id  BIGINT NOT NULL REFERENCES profiles (id),
    taken_at    TEXT   NOT NULL,
    taken_at_ms BIGINT NOT NULL,
    UNIQUE (profile_id, taken_at)
);

CREATE INDEX psfs_entries_by_time ON psfs_entries (profile_id, taken_at_ms, id);

CREATE TABLE psfs_items (
    entry_id BIGINT   NOT NULL REFERENCES psfs_entries (id),
    position SMALLINT NOT NULL CHECK (position BETWEEN 0 AND 2),
    activity TEXT     NOT NULL CHECK (char_length(activity) BETWEEN 1 AND 200),
    score    SMALLINT NOT NULL CHECK (score BETWEEN 0 AND 10),
    PRIMARY KEY (entry_id, position),
    UNIQUE (entry_id, activity)
);
