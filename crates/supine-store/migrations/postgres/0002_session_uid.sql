-- supine journal, PostgreSQL schema version 2 (matches SQLite version 3): a stable unique id per
-- session, so that export and import keep every session (two that started in the same
-- millisecond stay two). Append-only: never edit this file once it has landed.

-- A random (version 4) UUID, lowercase and hyphenated, given at start and kept by import;
-- sessions recorded before this version get one here.
ALTER TABLE sessions ADD COLUMN uid TEXT;
UPDATE sessions SET uid = gen_random_uuid()::text;
ALTER TABLE sessions ALTER COLUMN uid SET NOT NULL;
ALTER TABLE sessions ADD CONSTRAINT sessions_uid_well_formed
    CHECK (uid ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$');

-- Import looks sessions up by uid.
CREATE UNIQUE INDEX sessions_by_uid ON sessions (profile_id, uid);
