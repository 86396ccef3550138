// How both database engines write a passkey's row and read it back (the table of migration 0006).
import type { NewPasskey, Passkey, PasskeyDeviceType } from '../accounts/passkey-store.ts';

/** The columns as every SELECT of the stores names them (and RETURNING): one list for both engines. */
export const PASSKEY_COLUMNS =
  'id, user_id AS "userId", credential_id AS "credentialId", public_key AS "publicKey", counter, transports, ' +
  'device_type AS "deviceType", backed_up AS "backedUp", name, created_at AS "createdAt", last_used_at AS "lastUsedAt"';

/** A row as both drivers give it: the key as a Buffer, the flag as 0 or 1, the transports as JSON text. */
export interface PasskeyRow {
  id: number;
  userId: number;
  credentialId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string;
  deviceType: PasskeyDeviceType;
  backedUp: number;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export function passkeyOf(row: PasskeyRow): Passkey {
  return {
    ...row,
    // A copy with a buffer of its own: a driver's Buffer may be a view into a shared pool, and
    // @simplewebauthn wants a plain Uint8Array.
    publicKey: new Uint8Array(row.publicKey),
    transports: JSON.parse(row.transports) as string[],
    backedUp: row.backedUp !== 0,
  };
}

/** The values both drivers bind: the key as a Buffer (better-sqlite3 binds no other bytes). */
export function passkeyValues(passkey: NewPasskey) {
  return {
    userId: passkey.userId,
    credentialId: passkey.credentialId,
    publicKey: Buffer.from(passkey.publicKey.buffer, passkey.publicKey.byteOffset, passkey.publicKey.byteLength),
    counter: passkey.counter,
    transports: JSON.stringify(passkey.transports),
    deviceType: passkey.deviceType,
    backedUp: passkey.backedUp ? 1 : 0,
    name: passkey.name,
    createdAt: passkey.createdAt,
  };
}
