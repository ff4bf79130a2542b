-- supine journal, SQLite schema version 3: a stable unique id per session, so that export and
-- import keep every session (two that started in the same millisecond stay two).
-- Append-only: never edit this file once it has landed.

-- A random (version 4) UUID, lowercase and hyphenated, given at start and kept by import.
ALTER TABLE sessions ADD COLUMN uid TEXT;

-- Sessions recorded before this version get one too: 32 random hex digits per row, then set
-- out as a version 4 UUID (the version digit 4, the variant digit one of 8, 9, a, b).
UPDATE sessions SET uid = lower(hex(randomblob(16)));
UPDATE sessions SET uid = substr(uid, 1, 8) || '-' || substr(uid, 9, 4) || '-4' || substr(uid, 14, 3)
    || '-' || substr('89ab', 1 + (instr('0123456789abcdef', substr(uid, 17, 1)) - 1) % 4, 1)
    || substr(uid, 18, 3) || '-' || substr(uid, 21, 12);

-- Import looks sessions up by uid.
CREATE UNIQUE INDEX sessions_by_uid ON sessions (profile_id, uid);

-- SQLite cannot add NOT NULL or CHECK to an existing column; these triggers hold every new row
-- to a well-formed uid and keep it unchanged.
CREATE TRIGGER sessions_uid_well_formed BEFORE INSERT ON sessions
    WHEN NEW.uid IS NULL OR NEW.uid NOT GLOB
        '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'
BEGIN
    SELECT RAISE(ABORT, 'a session needs a uid: a lowercase hyphenated UUID');
END;

CREATE TRIGGER sessions_uid_unchanged BEFORE UPDATE OF uid ON sessions
    WHEN NEW.uid IS NOT OLD.uid
BEGIN
    SELECT RAISE(ABORT, 'a session keeps its uid');
END;
