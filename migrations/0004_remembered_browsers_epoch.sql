-- Remembered browsers tied to the account's session epoch, and named by a stable id.
--
-- session_epoch: the account's epoch when the box was ticked. A token is used only while it still
-- matches users.session_epoch (checked in the same statement that rotates it), so whatever moves
-- the epoch ("Sign out everywhere", a password change, disabling, npm run sessions -- --revoke)
-- kills every token of the account at once, even a successor a rotation racing it had written.
-- A row inserted by hand without it is never used.
ALTER TABLE remembered_browsers ADD COLUMN session_epoch INTEGER;
UPDATE remembered_browsers SET session_epoch = (SELECT session_epoch FROM users WHERE users.id = remembered_browsers.user_id);

-- browser_id: random, kept by every successor of the first token, and recorded in the sessions
-- the browser signs in (never the token or its hash), so ending one of them forgets that browser.
ALTER TABLE remembered_browsers ADD COLUMN browser_id TEXT;
UPDATE remembered_browsers SET browser_id = lower(hex(randomblob(16)));
