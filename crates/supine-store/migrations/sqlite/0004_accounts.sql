-- supine journal, SQLite schema version 4: accounts that may sign in to `supine serve` beyond
-- loopback. Append-only: never edit this file once it has landed.
--
-- Accounts belong to the journal, not to a profile. The password is kept only as an Argon2id
-- hash in the PHC string format (`$argon2id$v=19$m=...`), made by supine-server's `auth`.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    password_hash TEXT    NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    role          TEXT    NOT NULL CHECK (role IN ('person', 'clinician', 'admin')),
    created_at    TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
);
