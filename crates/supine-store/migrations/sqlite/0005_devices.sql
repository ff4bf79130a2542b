-- supine journal, SQLite schema version 5: phones paired with a profile over `supine serve
-- --lan`, and the one-time codes that pair them. Append-only: never edit this file once it has
-- landed.
--
-- Both belong to one profile. The journal keeps only SHA-256 hashes (64 lowercase hex
-- characters) of the codes and of the devices' tokens, made by supine-server, never the
-- secrets themselves; neither is exported.

-- A code is used once: `used_at` is set by the one UPDATE that pairs a device with it. A code
-- is deleted once it has expired, used or not, when the profile's next code is added.
CREATE TABLE pairing_codes (
    profile_id    INTEGER NOT NULL REFERENCES profiles (id),
    code_hash     TEXT    NOT NULL
                          CHECK (length(code_hash) = 64 AND code_hash NOT GLOB '*[^0-9a-f]*'),
    created_at    TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at    TEXT    NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    used_at       TEXT,
    used_at_ms    INTEGER,
    PRIMARY KEY (profile_id, code_hash),
    CHECK (expires_at_ms > created_at_ms),
    CHECK ((used_at IS NULL) = (used_at_ms IS NULL))
);

-- AUTOINCREMENT: a revoked device's id is never given to another device, so an id kept from
-- before a revocation never names a different device.
CREATE TABLE devices (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id      INTEGER NOT NULL REFERENCES profiles (id),
    name            TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    token_hash      TEXT    NOT NULL UNIQUE
                            CHECK (length(token_hash) = 64 AND token_hash NOT GLOB '*[^0-9a-f]*'),
    paired_at       TEXT    NOT NULL,
    paired_at_ms    INTEGER NOT NULL,
    last_seen_at    TEXT    NOT NULL,
    last_seen_at_ms INTEGER NOT NULL CHECK (last_seen_at_ms >= paired_at_ms)
);

CREATE INDEX devices_by_pairing ON devices (profile_id, paired_at_ms, id);
