// Which Verify client the app talks to: one passed in (tests), the in-process simulator in demo
// mode (with its public demo account), or Vonage. Outside demo mode the demo account must not
// exist: its password is in the README.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { DEMO_ACCOUNT, ensureDemoAccount } from '../accounts/demo-account.ts';
import type { AccountSeeding } from '../accounts/demo-account.ts';
import { createVerifyClient } from './create-verify-client.ts';
import { startDemoVerify } from './demo-verify.ts';
import type { VerifyClient } from './verify-client.ts';

type DemoAccount = Awaited<ReturnType<typeof ensureDemoAccount>>;

export async function chooseVerifyClient(
  app: FastifyInstance,
  config: Config,
  database: AccountSeeding,
  given: VerifyClient | undefined,
): Promise<{ verify: VerifyClient; demoAccount?: DemoAccount }> {
  if (!given && config.verify.api === 'demo') {
    const demo = await startDemoVerify(config.verify, app.log);
    app.addHook('onClose', demo.close);
    const demoAccount = await ensureDemoAccount(database);
    app.log.warn('DEMO MODE: codes are not sent by SMS; each one is printed on this log. Never use demo mode in production.');
    app.log.warn(`DEMO MODE: sign in as ${demoAccount.email} with the password ${demoAccount.password}`);
    return { verify: demo.client, demoAccount };
  }
  if (await database.demoAccountExists(DEMO_ACCOUNT.email)) {
    const remedy = `delete it with: DELETE FROM users WHERE email = '${DEMO_ACCOUNT.email}';`;
    if (config.production) throw new Error(`the demo account ${DEMO_ACCOUNT.email} exists in this database; ${remedy}`);
    app.log.warn(`the demo account ${DEMO_ACCOUNT.email} (public password) exists outside demo mode; ${remedy}`);
  }
  if (given) return { verify: given };
  if (config.verify.api === 'demo') throw new Error('demo mode needs the in-process simulator');
  return { verify: createVerifyClient(config.verify) };
}
