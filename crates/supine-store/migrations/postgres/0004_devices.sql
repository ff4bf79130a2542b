-- supine journal, PostgreSQL schema version 4 (matches SQLite version 5): phones paired with a
-- profile over `supine serve --lan`, and the one-time codes that pair them. Append-only: never
-- edit this file once it has landed.
--
-- Both belong to one profile. The journal keeps only SHA-256 hashes (64 lowercase hex
-- characters) of the codes and of the devices' tokens, made by supine-server, never the
-- secrets themselves; neither is exported.

-- A code is used once: `used_at` is set by the one conditional UPDATE that pairs a device with
-- it, whose row count decides between two servers trying the same code at once. A code is
-- deleted once it has expired, used or not, when the profile's next code is added.
CREATE TABLE pairing_codes (
    profile_id    BIGINT NOT NULL REFERENCES profiles (id),
    code_hash     TEXT   NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    created_at    TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at    TEXT   NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at       TEXT,
    used_at_ms    BIGINT,
    PRIMARY KEY (profile_id, code_hash),
    CHECK (expires_at_ms > created_at_ms),
    CHECK ((used_at IS NULL) = (used_at_ms IS NULL))
);

-- Ids come from a sequence, which never hands a revoked device's id to another device.
CREATE TABLE devices (
    id              BIGSERIAL PRIMARY KEY,
    profile_id      BIGINT NOT NULL REFERENCES profiles (id),
    name            TEXT   NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
    token_hash      TEXT   NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    paired_at       TEXT   NOT NULL,
    paired_at_ms    BIGINT NOT NULL,
    last_seen_at    TEXT   NOT NULL,
    last_seen_at_ms BIGINT NOT NULL CHECK (last_seen_at_ms >= paired_at_ms)
);

CREATE INDEX devices_by_pairing ON devices (profile_id, paired_at_ms, id);
