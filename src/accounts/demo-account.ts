// Demo mode signs in as a fixed, publicly known account. Outside demo mode that account must not
// exist: its password is printed in the README.
import type { DatabaseBackend } from '../storage/backend.ts';
import { hashPassword } from './passwords.ts';

export const DEMO_ACCOUNT = { email: 'demo@example.com', password: 'demo-password', phone: '+15555550100' } as const;

export async function ensureDemoAccount(database: DatabaseBackend): Promise<{ email: string; password: string }> {
  if (!(await database.demoAccountExists(DEMO_ACCOUNT.email))) {
    const passwordHash = await hashPassword(DEMO_ACCOUNT.password);
    await database.createAccount({ email: DEMO_ACCOUNT.email, phone: DEMO_ACCOUNT.phone, passwordHash, mustChangePassword: false });
  }
  return { email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password };
}
