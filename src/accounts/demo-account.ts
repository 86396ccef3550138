// Demo mode signs in as a fixed, publicly known account. Outside demo mode that account must not
// exist: its password is printed in the README.
import { hashPassword } from './passwords.ts';

/** What demo mode needs of the database: whether an account has this email (disabled ones too), and adding one. */
export interface AccountSeeding {
  demoAccountExists(email: string): Promise<boolean>;
  createAccount(account: { email: string; phone: string; passwordHash: string; mustChangePassword?: boolean }): Promise<void>;
}

export const DEMO_ACCOUNT = { email: 'demo@example.com', password: 'demo-password', phone: '+15555550100' } as const;

export async function ensureDemoAccount(database: AccountSeeding): Promise<{ email: string; password: string }> {
  if (!(await database.demoAccountExists(DEMO_ACCOUNT.email))) {
    const passwordHash = await hashPassword(DEMO_ACCOUNT.password);
    try {
      await database.createAccount({ email: DEMO_ACCOUNT.email, phone: DEMO_ACCOUNT.phone, passwordHash, mustChangePassword: false });
    } catch (error) {
      // Another instance started on the same database created it first (the unique index decided).
      if (!(await database.demoAccountExists(DEMO_ACCOUNT.email))) throw error;
    }
  }
  return { email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password };
}
