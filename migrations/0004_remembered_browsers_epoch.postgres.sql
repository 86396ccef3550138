-- PostgreSQL's version of 0004_remembered_browsers_epoch.sql (recorded under that name): the same
-- columns and rules.
ALTER TABLE remembered_browsers ADD COLUMN session_epoch integer;
UPDATE remembered_browsers SET session_epoch = (SELECT session_epoch FROM users WHERE users.id = remembered_browsers.user_id);

ALTER TABLE remembered_browsers ADD COLUMN browser_id text;
UPDATE remembered_browsers SET browser_id = md5(random()::text || token_hash);
