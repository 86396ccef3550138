-- PostgreSQL's version of 0002_hardening.sql: sessions know their account, ended sessions leave a
-- tombstone so a late write cannot bring them back, counters live here, and the audit log keeps
-- the user agent. Two app processes may share this database, so the writes that must not
-- interleave are made atomic here (see set_session_unless_ended).

-- "End every session of this account" is one statement on this column. (SQLite's version fills
-- it from the JSON of existing rows; no PostgreSQL database has sessions from before this file.)
ALTER TABLE sessions ADD COLUMN user_id integer REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX sessions_by_user ON sessions (user_id);

-- A session ID that was destroyed or rotated, kept an hour, then pruned. `successor` is the ID a
-- sign-in step rotated this one to: ending an ID (logout) also ends its successors.
CREATE TABLE ended_sessions (
  sid text PRIMARY KEY,
  ended_at bigint NOT NULL, -- milliseconds since the Unix epoch
  successor text
);

CREATE INDEX ended_sessions_by_age ON ended_sessions (ended_at);

-- Why a function, and why a lock: the store's write must do nothing for an ID that has a
-- tombstone. As one plain statement (INSERT … WHERE NOT EXISTS (tombstone) ON CONFLICT DO UPDATE)
-- it reads ended_sessions in the snapshot taken when the statement started; under READ COMMITTED
-- a tombstone committed a moment later is invisible to it, and when the row it conflicts with is
-- deleted by that same ender it simply inserts a fresh one: the ended session is back. Two rules
-- close every such gap:
--   1. Rows that exist are only UPDATEd here, never inserted over: an UPDATE that waited on a
--      concurrent DELETE re-checks the row and finds it gone (it writes nothing), so ending a
--      stored session (destroy, claim, end-all, the triggers below) needs no lock at all.
--   2. The INSERT (a row not stored yet) and end_session_link (the only thing that tombstones an
--      ID with no row: a successor not written yet) take the same per-ID advisory lock, and each
--      statement after the lock runs with a fresh snapshot (a VOLATILE function's statements do),
--      so whichever comes second sees what the first committed.
-- Called as one statement; the lock is held only until it commits.
-- The account a session names may be deleted while the write runs: the subqueries still see it
-- (their snapshot predates the delete's commit), the foreign-key check waits for that commit and
-- then fails (23503, sessions_user_id_fkey). Deleting the account ends its sessions (the trigger
-- below), so this write must not happen at all: it writes nothing, as for an ended ID.
CREATE FUNCTION set_session_unless_ended(p_sid text, p_data text, p_expires_at bigint, p_user_id integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1397052243, hashtext(p_sid));
  BEGIN
    UPDATE sessions
      SET data = p_data, expires_at = p_expires_at, user_id = (SELECT id FROM users WHERE id = p_user_id)
      WHERE sid = p_sid;
    IF NOT FOUND THEN
      -- The subquery stores NULL for an account already gone (the column references users).
      INSERT INTO sessions (sid, data, expires_at, user_id)
        SELECT p_sid, p_data, p_expires_at, (SELECT id FROM users WHERE id = p_user_id)
        WHERE NOT EXISTS (SELECT 1 FROM ended_sessions WHERE sid = p_sid)
        ON CONFLICT (sid) DO NOTHING;
    END IF;
  EXCEPTION WHEN foreign_key_violation THEN
    RETURN; -- the account was deleted meanwhile: write nothing
  END;
END $$;

-- Ends one ID, stored or not yet written, and returns the ID it was rotated to (if any). One
-- link per call: holding one lock at a time, a chain can never deadlock with another writer.
CREATE FUNCTION end_session_link(p_sid text, p_ended_at bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  next_sid text;
BEGIN
  PERFORM pg_advisory_xact_lock(1397052243, hashtext(p_sid));
  DELETE FROM sessions WHERE sid = p_sid;
  -- A claim racing this one may be committing its tombstone (with the successor) right now: the
  -- insert waits for it, and the SELECT after it, with a fresh snapshot, reads the successor.
  INSERT INTO ended_sessions (sid, ended_at) VALUES (p_sid, p_ended_at) ON CONFLICT (sid) DO NOTHING;
  SELECT successor INTO next_sid FROM ended_sessions WHERE sid = p_sid;
  RETURN next_sid;
END $$;

-- Disabling or deleting an account ends its sessions at once, however it was done (a migration,
-- or SQL run by hand). Tombstones exactly the rows it deleted (rule 1 above).
CREATE FUNCTION end_sessions_of_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH gone AS (DELETE FROM sessions WHERE user_id = OLD.id RETURNING sid)
  INSERT INTO ended_sessions (sid, ended_at)
    SELECT sid, (extract(epoch FROM clock_timestamp()) * 1000)::bigint FROM gone
    ON CONFLICT (sid) DO NOTHING;
  RETURN OLD; -- a BEFORE DELETE trigger returning NULL would cancel the delete
END $$;

-- Each account's session epoch: stored in its sessions, compared by the sign-in gate on every
-- request. Disabling moves it on (so a re-enabled account's old sessions stay dead), and a new
-- row gets a random one (so a reused id never adopts an old session). This is what ends sessions
-- kept outside the database (Redis), where the trigger below cannot reach.
ALTER TABLE users ADD COLUMN session_epoch integer NOT NULL DEFAULT floor(random() * 2147483647)::integer;

CREATE FUNCTION move_session_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.session_epoch := (NEW.session_epoch % 2147483646) + 1;
  RETURN NEW;
END;
$$;

CREATE TRIGGER users_disabled_move_session_epoch BEFORE UPDATE OF disabled ON users
  FOR EACH ROW WHEN (NEW.disabled = 1 AND OLD.disabled = 0) EXECUTE FUNCTION move_session_epoch();

CREATE TRIGGER users_disabled_end_sessions AFTER UPDATE OF disabled ON users
  FOR EACH ROW WHEN (NEW.disabled = 1) EXECUTE FUNCTION end_sessions_of_user();

CREATE TRIGGER users_deleted_end_sessions BEFORE DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION end_sessions_of_user();

-- Attempt counters, send budgets, cooldowns and per-sign-in locks: rate-limiter-flexible's
-- PostgreSQL layout, column for column (its upsert inserts VALUES (key, points, expire) by
-- position). Each consume is one INSERT … ON CONFLICT DO UPDATE … RETURNING: atomic.
CREATE TABLE rate_limits (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint -- milliseconds since the Unix epoch; NULL never expires
);

CREATE INDEX rate_limits_by_expiry ON rate_limits (expire);

ALTER TABLE audit_log ADD COLUMN user_agent text;
CREATE INDEX audit_log_by_time ON audit_log (at);
