-- PostgreSQL's version of 0003_account_recovery.sql (recorded under that name): the same tables,
-- columns and rules.

ALTER TABLE users ADD COLUMN must_change_password integer NOT NULL DEFAULT 1
  CONSTRAINT must_change_password_is_0_or_1 CHECK (must_change_password IN (0, 1));
UPDATE users SET must_change_password = 0 WHERE email = 'demo@example.com';

CREATE TABLE remembered_browsers (
  token_hash text PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at bigint NOT NULL, -- milliseconds since the Unix epoch
  expires_at bigint NOT NULL
);

CREATE INDEX remembered_browsers_by_user ON remembered_browsers (user_id);
CREATE INDEX remembered_browsers_by_expiry ON remembered_browsers (expires_at);

CREATE FUNCTION forget_remembered_browsers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM remembered_browsers WHERE user_id = NEW.id;
  RETURN NULL;
END;
$$;

CREATE TRIGGER users_credentials_changed_forget_browsers AFTER UPDATE OF phone, password_hash ON users
  FOR EACH ROW WHEN (NEW.phone IS DISTINCT FROM OLD.phone OR NEW.password_hash IS DISTINCT FROM OLD.password_hash)
  EXECUTE FUNCTION forget_remembered_browsers();

CREATE TRIGGER users_disabled_forget_browsers AFTER UPDATE OF disabled ON users
  FOR EACH ROW WHEN (NEW.disabled = 1) EXECUTE FUNCTION forget_remembered_browsers();

CREATE TABLE recovery_codes (
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  created_at bigint NOT NULL,
  used_at bigint,
  PRIMARY KEY (user_id, code_hash)
);
