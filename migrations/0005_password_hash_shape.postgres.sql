-- PostgreSQL's version of 0005_password_hash_shape.sql (recorded under that name): the same rule,
-- password_hash_is_argon2id_phc, as one regular expression. A trigger rather than a CHECK
-- constraint, as on SQLite: a NOT VALID constraint would still be checked on any later update of an
-- old row with a bad hash (disabling that account would fail); the trigger checks only a hash that
-- is written. The parameters: three, each of m, t and p once (the lookaheads), in any order.

CREATE FUNCTION check_password_hash_shape() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.password_hash IS NULL OR NEW.password_hash !~ (
    '^\$argon2id\$v=19\$'
    || '(?=(?:[^$]*,)?m=)(?=(?:[^$]*,)?t=)(?=(?:[^$]*,)?p=)[mtp]=[1-9][0-9]{0,9},[mtp]=[1-9][0-9]{0,9},[mtp]=[1-9][0-9]{0,9}'
    || '\$[A-Za-z0-9+/]{11,86}\$[A-Za-z0-9+/]{22,86}$'
  ) OR length(split_part(NEW.password_hash, '$', 5)) % 4 = 1 OR length(split_part(NEW.password_hash, '$', 6)) % 4 = 1 THEN
    RAISE EXCEPTION USING
      ERRCODE = 'check_violation',
      CONSTRAINT = 'password_hash_is_argon2id_phc',
      MESSAGE = 'password_hash_is_argon2id_phc: password_hash must be a whole argon2id hash as npm run hash-password prints it ($argon2id$v=19$m=…,t=…,p=…$salt$hash)';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER users_password_hash_is_argon2id_phc BEFORE INSERT OR UPDATE OF password_hash ON users
  FOR EACH ROW EXECUTE FUNCTION check_password_hash_shape();
