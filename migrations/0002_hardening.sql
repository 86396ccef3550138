-- Auth state that must hold under parallel requests: sessions know their account, ended
-- sessions leave a tombstone so a late write cannot bring them back, counters live here, and
-- the audit log keeps the user agent.

-- "End every session of this account" is one statement on this column.
ALTER TABLE sessions ADD COLUMN user_id INTEGER REFERENCES users (id) ON DELETE CASCADE;
UPDATE sessions SET user_id = coalesce(json_extract(data, '$.userId'), json_extract(data, '$.pending.userId'));
CREATE INDEX sessions_by_user ON sessions (user_id);

-- A session ID that was destroyed or rotated. The store refuses to write a session whose ID is
-- here: a request still in flight when its session ended must not resurrect it. Kept an hour
-- (longer than any request can run), then pruned.
-- `successor` is the ID a sign-in step rotated this one to: ending an ID (logout) also ends its
-- successors, so a logout that races a code check is not undone by the new session.
CREATE TABLE ended_sessions (
  sid TEXT PRIMARY KEY,
  ended_at INTEGER NOT NULL, -- milliseconds since the Unix epoch
  successor TEXT
) STRICT, WITHOUT ROWID;

CREATE INDEX ended_sessions_by_age ON ended_sessions (ended_at);

-- Each account's session epoch: stored in its sessions, compared by the sign-in gate on every
-- request. Disabling moves it on (so a re-enabled account's old sessions stay dead), and a new
-- row gets a random one (so a reused id never adopts an old session). This is what ends sessions
-- kept outside the database (Redis), where the triggers below cannot reach.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
UPDATE users SET session_epoch = abs(random() % 2147483647);

CREATE TRIGGER users_inserted_get_session_epoch AFTER INSERT ON users
BEGIN
  UPDATE users SET session_epoch = abs(random() % 2147483647) WHERE id = NEW.id;
END;

CREATE TRIGGER users_disabled_move_session_epoch AFTER UPDATE OF disabled ON users
WHEN NEW.disabled = 1 AND OLD.disabled = 0
BEGIN
  UPDATE users SET session_epoch = (session_epoch % 2147483646) + 1 WHERE id = NEW.id;
END;

-- Disabling or deleting an account ends its sessions at once, however it was done (a migration,
-- or SQL run by hand). The sign-in gate also re-reads the account on every protected request.
CREATE TRIGGER users_disabled_end_sessions AFTER UPDATE OF disabled ON users
WHEN NEW.disabled = 1
BEGIN
  INSERT OR IGNORE INTO ended_sessions (sid, ended_at)
    SELECT sid, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM sessions WHERE user_id = NEW.id;
  DELETE FROM sessions WHERE user_id = NEW.id;
END;

CREATE TRIGGER users_deleted_end_sessions BEFORE DELETE ON users
BEGIN
  INSERT OR IGNORE INTO ended_sessions (sid, ended_at)
    SELECT sid, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM sessions WHERE user_id = OLD.id;
  DELETE FROM sessions WHERE user_id = OLD.id;
END;

-- Attempt counters, send budgets, cooldowns and per-sign-in locks (rate-limiter-flexible's
-- SQLite layout: key, points, expiry in ms). Each consume is one atomic upsert.
CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  points INTEGER NOT NULL DEFAULT 0,
  expire INTEGER
);

CREATE INDEX rate_limits_by_expiry ON rate_limits (expire);

ALTER TABLE audit_log ADD COLUMN user_agent TEXT;
CREATE INDEX audit_log_by_time ON audit_log (at);
