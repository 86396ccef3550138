-- Accounts, server-side sessions and the audit log.
-- Admins seed accounts in their own migrations, for example:
--   INSERT INTO users (email, phone, password_hash) VALUES ('alice@example.com', '+15555550100', '$argon2id$…');
-- (`npm run hash-password` prints the hash.)

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  -- Named constraints so a failing seed says which rule it broke, e.g. "CHECK constraint failed: phone_is_e164".
  -- NOCASE makes both the UNIQUE index and `WHERE email = ?` case-insensitive (ASCII letters).
  email TEXT NOT NULL UNIQUE COLLATE NOCASE CONSTRAINT email_looks_like_an_address CHECK (
    length(email) BETWEEN 3 AND 254
    AND email GLOB '?*@?*'
    AND email NOT GLOB '*@*@*'
    AND email NOT GLOB ('*[' || char(9, 10, 13, 32) || ']*')
  ),
  -- E.164: a leading '+', then 8 to 15 digits; country codes never start with 0.
  phone TEXT NOT NULL CONSTRAINT phone_is_e164 CHECK (
    phone GLOB '+[1-9]*'
    AND length(phone) BETWEEN 9 AND 16
    AND substr(phone, 2) NOT GLOB '*[^0-9]*'
  ),
  -- Only argon2 hashes; a plain-text password pasted into a seed is refused here.
  password_hash TEXT NOT NULL CONSTRAINT password_hash_is_argon2 CHECK (password_hash GLOB '$argon2*'),
  disabled INTEGER NOT NULL DEFAULT 0 CONSTRAINT disabled_is_0_or_1 CHECK (disabled IN (0, 1)),
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
) STRICT;

-- Read by primary key on every request; rows are small, so WITHOUT ROWID saves a second b-tree lookup.
CREATE TABLE sessions (
  sid TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  expires_at INTEGER NOT NULL -- milliseconds since the Unix epoch
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  -- Millisecond precision so events within one second keep their order when read back.
  at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  event TEXT NOT NULL,
  user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
  ip TEXT,
  detail TEXT
) STRICT;

-- Serves "what happened to this account" and keeps ON DELETE SET NULL from scanning the table.
CREATE INDEX audit_log_by_user ON audit_log (user_id, at);
