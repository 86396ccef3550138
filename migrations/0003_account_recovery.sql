-- What an account keeps beyond its password and phone: whether its password is still the one an
-- admin seeded, the browsers it chose to remember, and its single-use recovery codes.

-- A seeded password is temporary (ASVS 6.4.1): an account must choose its own right after its
-- first full sign-in. Rows an admin inserts get 1 by default; insert 0 on purpose to skip it.
-- Accounts that exist already were seeded the same way, so they get 1 too; the demo account
-- (demo mode only) is exempt so that the quick start stays two commands.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 1
  CONSTRAINT must_change_password_is_0_or_1 CHECK (must_change_password IN (0, 1));
UPDATE users SET must_change_password = 0 WHERE email = 'demo@example.com';

-- "Remember this browser": the SHA-256 of a random token whose plain form only the browser's
-- cookie holds. Rotated on every use; gone with a password or phone change, however it is done.
CREATE TABLE remembered_browsers (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL, -- milliseconds since the Unix epoch
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX remembered_browsers_by_user ON remembered_browsers (user_id);
CREATE INDEX remembered_browsers_by_expiry ON remembered_browsers (expires_at);

CREATE TRIGGER users_credentials_changed_forget_browsers AFTER UPDATE OF phone, password_hash ON users
WHEN NEW.phone IS NOT OLD.phone OR NEW.password_hash IS NOT OLD.password_hash
BEGIN
  DELETE FROM remembered_browsers WHERE user_id = NEW.id;
END;

-- Disabling an account forgets its browsers too: enabling it again asks for a code again.
CREATE TRIGGER users_disabled_forget_browsers AFTER UPDATE OF disabled ON users
WHEN NEW.disabled = 1
BEGIN
  DELETE FROM remembered_browsers WHERE user_id = NEW.id;
END;

-- Ten single-use codes for when the phone is gone: 16 random digits (53 bits) each, kept as an
-- HMAC-SHA-256 keyed from SESSION_SECRET (src/accounts/recovery-codes.ts), so that a copy of the
-- database alone cannot be searched for them; `used_at` is set in the one statement that accepts it.
CREATE TABLE recovery_codes (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  used_at INTEGER,
  PRIMARY KEY (user_id, code_hash)
) STRICT, WITHOUT ROWID;

-- A user deleted with foreign keys off (the sqlite3 shell's default) must not leave these rows to
-- the next account that gets its id: deleted here, whatever the connection's settings.
CREATE TRIGGER users_deleted_forget_browsers_and_codes BEFORE DELETE ON users
BEGIN
  DELETE FROM remembered_browsers WHERE user_id = OLD.id;
  DELETE FROM recovery_codes WHERE user_id = OLD.id;
END;
