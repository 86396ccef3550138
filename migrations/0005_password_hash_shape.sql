-- A password hash that cannot be a real one is refused (rule password_hash_is_argon2id_phc): the
-- full argon2id PHC string that `npm run hash-password` prints,
--   $argon2id$v=19$m=M,t=T,p=P$SALT$HASH
-- with version 19, the three parameters once each in any order (node-argon2 writes m,p,t; other
-- libraries m,t,p) as positive integers, and SALT and HASH in unpadded base64 of plausible lengths
-- (salt 8 to 64 bytes: 11 to 86 characters; hash 16 to 64 bytes: 22 to 86 characters). A hash
-- copied with an ellipsis (the README's old example), cut short, or in another format stopped the
-- account from ever signing in, with nothing in the log; now the INSERT or UPDATE fails, naming the
-- rule. SQLite has no regular expressions, so two triggers check it with GLOB, instr and length.
-- Rows stored before this migration are not checked (the app logs, at sign-in, a stored hash it
-- cannot use); a CHECK constraint cannot be added to an existing SQLite table anyway.

CREATE TRIGGER users_password_hash_is_argon2id_phc_on_insert BEFORE INSERT ON users
WHEN NOT coalesce((
  SELECT length(params) BETWEEN 11 AND 41
    AND length(params) - length(replace(params, ',', '')) = 2
    AND length(params) - length(replace(params, '=', '')) = 3
    AND instr(',' || params, ',m=') > 0 AND instr(',' || params, ',t=') > 0 AND instr(',' || params, ',p=') > 0
    AND NOT params GLOB '*[^0-9mtp=,]*'
    AND NOT (params || ',') GLOB '*=[^1-9]*'
    AND NOT params GLOB '*[0-9][mtp]*'
    AND length(salt) BETWEEN 11 AND 86 AND length(salt) % 4 <> 1 AND NOT salt GLOB '*[^A-Za-z0-9+/]*'
    AND length(hash) BETWEEN 22 AND 86 AND length(hash) % 4 <> 1 AND NOT hash GLOB '*[^A-Za-z0-9+/]*'
  FROM (
    SELECT params, substr(rest, 1, instr(rest, '$') - 1) AS salt, substr(rest, instr(rest, '$') + 1) AS hash
    FROM (
      SELECT substr(tail, 1, instr(tail, '$') - 1) AS params, substr(tail, instr(tail, '$') + 1) AS rest
      FROM (SELECT substr(NEW.password_hash, 16) AS tail WHERE substr(NEW.password_hash, 1, 15) = '$argon2id$v=19$')
    )
    WHERE instr(rest, '$') > 0
  )
), 0)
BEGIN
  SELECT RAISE(ABORT, 'password_hash_is_argon2id_phc: password_hash must be a whole argon2id hash as npm run hash-password prints it ($argon2id$v=19$m=…,t=…,p=…$salt$hash)');
END;

CREATE TRIGGER users_password_hash_is_argon2id_phc_on_update BEFORE UPDATE OF password_hash ON users
WHEN NOT coalesce((
  SELECT length(params) BETWEEN 11 AND 41
    AND length(params) - length(replace(params, ',', '')) = 2
    AND length(params) - length(replace(params, '=', '')) = 3
    AND instr(',' || params, ',m=') > 0 AND instr(',' || params, ',t=') > 0 AND instr(',' || params, ',p=') > 0
    AND NOT params GLOB '*[^0-9mtp=,]*'
    AND NOT (params || ',') GLOB '*=[^1-9]*'
    AND NOT params GLOB '*[0-9][mtp]*'
    AND length(salt) BETWEEN 11 AND 86 AND length(salt) % 4 <> 1 AND NOT salt GLOB '*[^A-Za-z0-9+/]*'
    AND length(hash) BETWEEN 22 AND 86 AND length(hash) % 4 <> 1 AND NOT hash GLOB '*[^A-Za-z0-9+/]*'
  FROM (
    SELECT params, substr(rest, 1, instr(rest, '$') - 1) AS salt, substr(rest, instr(rest, '$') + 1) AS hash
    FROM (
      SELECT substr(tail, 1, instr(tail, '$') - 1) AS params, substr(tail, instr(tail, '$') + 1) AS rest
      FROM (SELECT substr(NEW.password_hash, 16) AS tail WHERE substr(NEW.password_hash, 1, 15) = '$argon2id$v=19$')
    )
    WHERE instr(rest, '$') > 0
  )
), 0)
BEGIN
  SELECT RAISE(ABORT, 'password_hash_is_argon2id_phc: password_hash must be a whole argon2id hash as npm run hash-password prints it ($argon2id$v=19$m=…,t=…,p=…$salt$hash)');
END;
