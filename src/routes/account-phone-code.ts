// The phone change's code step (/account/phone, routes/account-phone.ts): the code sent to the new
// number, checked under its Verify request's lock and the account's code budget. Only the right
// code stores the number, in one statement that also moves the session epoch and forgets the
// remembered browsers, and only if the phone is still the one the change began from and this
// session's epoch still the account's; then the other sessions end and this one stays signed in.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { accountOf } from './signed-in-account.ts';
import { readSignedInCode } from './signed-in-code.ts';
import { callingCodeOf } from '../metrics/calling-code.ts';
import { stillBelongs } from '../signin/state.ts';
import { endPhoneChange, pendingPhoneChange } from '../signin/factors/verify-code/state.ts';
import type { PendingPhoneChange } from '../signin/factors/verify-code/state.ts';

/** The audit detail of a phone change's code rows. */
export const DETAIL = 'phone-change';
export const BUSY_MS = 1000;
const START_OVER = "That code can't be used any more. Enter your new number again for a new code.";
export const TAKEN_OVER = 'The owner of that number has just started signing in with it, so its code is theirs now. Wait a few minutes, then enter the number again.';
const callingCode = (phone: string) => `+${callingCodeOf(phone)}`;

export interface PhonePageSteps {
  show(request: FastifyRequest, reply: FastifyReply, status: number, error?: string, retryAfterMs?: number): Promise<FastifyReply>;
  /** This session no longer stands for the account: ends it and says why. */
  signedOut(request: FastifyRequest, reply: FastifyReply, status: number, message: string): Promise<FastifyReply>;
  /** Whether the number's own sign-in took this change's Verify request over (the change ends). */
  takenOver(request: FastifyRequest, change: PendingPhoneChange): Promise<boolean>;
}

export function createPhoneCodeCheck(app: FastifyInstance, { show, signedOut, takenOver }: PhonePageSteps) {
  const { accounts, audit, budgets, signIn, verifyCode } = app;

async function checkCode(request: FastifyRequest, reply: FastifyReply, typedCode: string) {
  const userId = accountOf(request).id;
  const change = pendingPhoneChange(request);
  if (!change) return show(request, reply, 400, 'Enter your new phone number first: then we send it a code.');
  if (await takenOver(request, change)) return show(request, reply, 409, TAKEN_OVER);
  const read = await readSignedInCode(request, typedCode, 'A recovery code can’t confirm a new phone: enter the code we sent to the new number.');
  if ('refused' in read) return show(request, reply, read.refused.status, read.refused.message, read.refused.retryAfterMs);
  const { code } = read;

  const checked = await verifyCode.check(request, { requestId: change.requestId, userId, code, detail: DETAIL }, async () => {
    await budgets.codeSucceeded(userId);
    const account = await accounts.findById(userId);
    const signedIn = request.session.signedIn;
    if (!account || !signedIn || !stillBelongs(account, signedIn)) return undefined;
    // The one atomic decision: of two changes racing (two browsers), the first to store wins, and
    // a password change or "sign out everywhere" that moved the epoch since the read above wins too.
    const sessionEpoch = await accounts.changePhone(userId, change.phone, { phone: change.replaces, sessionEpoch: signedIn.epoch });
    if (sessionEpoch === undefined) return undefined;
    const ended = await signIn.endOtherSessions(request, { ...account, phone: change.phone, sessionEpoch }).catch(async (error: unknown) => {
      // The session store failed (a 503 follows), but the phone is stored, and the epoch stored
      // with it ends every other session at the gate all the same: the change is audited now.
      await audit.record('phone-changed', request, { userId, detail: `${callingCode(change.phone)} other-sessions-ended by-epoch` });
      throw error;
    });
    return { ended };
  });
  if (checked.kind === 'right') {
    endPhoneChange(request);
    if (checked.value === undefined) return lost(request, reply, userId, change);
    const { ended } = checked.value;
    await audit.record('phone-changed', request, { userId, detail: `${callingCode(change.phone)} other-sessions-ended ${ended ?? 0}` });
    if (ended === undefined) {
      // A logout of this session won the race: the phone is changed, nobody is signed in here.
      await signIn.end(request, reply);
      return reply.redirect('/login', 303);
    }
    signIn.cookies.setNotice(reply, 'phone-changed');
    return reply.redirect('/', 303);
  }
  if (checked.kind === 'busy') return show(request, reply, 429, 'Your last request is still being handled.', BUSY_MS);
  if (checked.kind === 'throttled') return show(request, reply, 429, 'Too many wrong codes for this account.', checked.verdict.retryAfterMs);
  await audit.record('phone-change-failed', request, { userId, detail: checked.failure });
  if (checked.outcome.restart) {
    endPhoneChange(request);
    return show(request, reply, checked.outcome.status, START_OVER);
  }
  return show(request, reply, checked.outcome.status, checked.outcome.message);
}

/**
 * The right code, but nothing was stored: the phone was no longer the one this change began from
 * (another change won), or this session's sign-in was over (its epoch moved: a password change,
 * "sign out everywhere", the account disabled).
 */
async function lost(request: FastifyRequest, reply: FastifyReply, userId: number, change: PendingPhoneChange) {
  const account = await accounts.findById(userId);
  if (!account || account.phone === change.replaces) {
    await audit.record('phone-change-failed', request, { userId, detail: 'signed-out-meanwhile' });
    return signedOut(request, reply, 409, 'This browser was signed out meanwhile (a password change, or “Sign out all other browsers”), so your phone number was not changed. Sign in again.');
  }
  await audit.record('phone-change-failed', request, { userId, detail: 'changed-meanwhile' });
  const signedIn = request.session.signedIn;
  const message = 'Your phone number was changed meanwhile (in another browser, or by an administrator), so this change was not made.';
  if (account && signedIn && stillBelongs(account, signedIn)) {
    request.account = account; // the page shows the phone as it is now
    return show(request, reply, 409, `${message} Start again if you still want to change it.`);
  }
  return signedOut(request, reply, 409, `${message} That change signed this browser out: sign in again.`);
}

  return checkCode;
}
