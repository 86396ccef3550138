// Demo mode signs in as a fixed, publicly known account. Outside demo mode that account must not
// exist: its password is printed in the README.
import type { Database } from 'better-sqlite3';
import { hashPassword } from './passwords.ts';

export const DEMO_ACCOUNT = { email: 'demo@example.com', password: 'demo-password', phone: '+15555550100' } as const;

export async function ensureDemoAccount(db: Database): Promise<{ email: string; password: string }> {
  const exists = db.prepare('SELECT 1 FROM users WHERE email = ?').get(DEMO_ACCOUNT.email);
  if (!exists) {
    const hash = await hashPassword(DEMO_ACCOUNT.password);
    db.prepare('INSERT INTO users (email, phone, password_hash) VALUES (?, ?, ?)').run(
      DEMO_ACCOUNT.email,
      DEMO_ACCOUNT.phone,
      hash,
    );
  }
  return { email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password };
}

export function demoAccountExists(db: Database): boolean {
  return db.prepare('SELECT 1 FROM users WHERE email = ?').get(DEMO_ACCOUNT.email) !== undefined;
}
