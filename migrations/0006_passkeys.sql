-- Passkeys (WebAuthn credentials, issue 16): at most ten per account (src/accounts/passkey-store.ts,
-- decided by the store in the transaction that inserts), each credential registered to one account
-- only. Nothing here is secret: a credential ID and a public key let no one sign in; the private key
-- never leaves the authenticator. Times are milliseconds since the Unix epoch, as in
-- remembered_browsers and recovery_codes.
CREATE TABLE passkeys (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- base64url without padding, as @simplewebauthn gives it; WebAuthn caps a credential ID at 1023
  -- bytes, which is 1364 characters. One account's credential can never be another's.
  credential_id TEXT NOT NULL CONSTRAINT credential_id_is_unique UNIQUE
    CONSTRAINT credential_id_is_base64url CHECK (
      length(credential_id) BETWEEN 1 AND 1364
      AND NOT credential_id GLOB '*[^A-Za-z0-9_-]*'
    ),
  -- The COSE public key as the authenticator gave it (an EC2 key is ~77 bytes, RSA-4096 ~540).
  public_key BLOB NOT NULL CONSTRAINT public_key_is_sane CHECK (length(public_key) BETWEEN 1 AND 4096),
  -- The authenticator's signature counter: an unsigned 32-bit number, 0 when it keeps none.
  counter INTEGER NOT NULL DEFAULT 0 CONSTRAINT counter_is_uint32 CHECK (counter BETWEEN 0 AND 4294967295),
  -- The transports it reported (hints for the browser), a JSON array of strings, kept as given.
  transports TEXT NOT NULL DEFAULT '[]' CONSTRAINT transports_is_a_json_array CHECK (
    json_valid(transports) AND json_type(transports) = 'array'
  ),
  -- The BE flag at registration (may it be synced?) and the BS flag at the latest use (is it?).
  device_type TEXT NOT NULL CONSTRAINT device_type_is_known CHECK (device_type IN ('singleDevice', 'multiDevice')),
  backed_up INTEGER NOT NULL DEFAULT 0 CONSTRAINT backed_up_is_0_or_1 CHECK (backed_up IN (0, 1)),
  -- The user's name for it, shown on /account/passkeys: never blank, at most 64 characters.
  name TEXT NOT NULL CONSTRAINT name_is_1_to_64_characters CHECK (length(trim(name)) >= 1 AND length(name) <= 64),
  created_at INTEGER NOT NULL,
  last_used_at INTEGER -- null until it first signs in or confirms
) STRICT;

-- Every sign-in asks whether the account has one, and /account/passkeys lists them, oldest first.
CREATE INDEX passkeys_by_user ON passkeys (user_id);

-- As in 0003: a user deleted with foreign keys off (the sqlite3 shell's default) must not leave its
-- passkeys to the next account that gets its id, which could then sign in with them.
CREATE TRIGGER users_deleted_forget_passkeys BEFORE DELETE ON users
BEGIN
  DELETE FROM passkeys WHERE user_id = OLD.id;
END;
