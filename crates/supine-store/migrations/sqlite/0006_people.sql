-- supine journal, SQLite schema version 6: accounts with a profile of their own, the people a
-- clinician follows, invitations to make an account, and each profile's audit log.
-- Append-only: never edit this file once it has landed.

-- The profile whose journal the account practises in and reads as its own, by name (the
-- profile is made when the account first uses it). NULL for the accounts made before this
-- version: they use the profile the server was started for, as they did then.
ALTER TABLE accounts ADD COLUMN profile TEXT
    CHECK (profile IS NULL OR length(profile) BETWEEN 1 AND 64);

-- Which people each clinician follows; both are accounts of the journal, by name (a name is
-- never changed). Removing either account ends the assignment. An account is never assigned
-- to itself.
CREATE TABLE assignments (
    clinician TEXT NOT NULL REFERENCES accounts (name) ON DELETE CASCADE,
    person    TEXT NOT NULL REFERENCES accounts (name) ON DELETE CASCADE,
    PRIMARY KEY (clinician, person),
    CHECK (clinician <> person)
);

-- `clinicians_of` reads by person.
CREATE INDEX assignments_by_person ON assignments (person, clinician);

-- An invitation makes one account when its link is followed. The journal keeps only the
-- SHA-256 (64 lowercase hex characters) of the link's token, never the token itself; neither
-- invitations nor accounts are exported. `used_at` is set by the one conditional UPDATE that
-- makes the account. An invitation is deleted once it has expired, used or not, when the next
-- one is added. `clinician` is checked when the invitation is added and again when it is used;
-- removing that account deletes the invitations naming it that are not used yet.
CREATE TABLE invitations (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT    NOT NULL UNIQUE
                          CHECK (length(token_hash) = 64 AND token_hash NOT GLOB '*[^0-9a-f]*'),
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    role          TEXT    NOT NULL CHECK (role IN ('person', 'clinician', 'admin')),
    profile       TEXT    CHECK (profile IS NULL OR length(profile) BETWEEN 1 AND 64),
    clinician     TEXT    CHECK (clinician IS NULL OR length(clinician) BETWEEN 1 AND 64),
    created_at    TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at    TEXT    NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    used_at       TEXT,
    used_at_ms    INTEGER,
    CHECK (expires_at_ms > created_at_ms),
    CHECK ((used_at IS NULL) = (used_at_ms IS NULL))
);

-- At most one unused invitation per name: a second is refused while the first may be used.
CREATE UNIQUE INDEX invitations_open_by_name ON invitations (name) WHERE used_at IS NULL;

-- Who read a person's data, and what: one row per read by someone else (a clinician), kept in
-- the profile that was read. `actor` is an account name as plain text, so the log keeps what
-- happened after the account is removed.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    at         TEXT    NOT NULL,
    at_ms      INTEGER NOT NULL,
    actor      TEXT    NOT NULL CHECK (length(actor) BETWEEN 1 AND 64),
    action     TEXT    NOT NULL CHECK (length(action) BETWEEN 1 AND 200)
);

-- `audit_log` reads a profile's newest entries first.
CREATE INDEX audit_log_by_time ON audit_log (profile_id, at_ms, id);
