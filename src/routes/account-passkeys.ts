// The account's passkeys (PASSKEYS=on), in the signed-in area: the list (name, added, last used),
// "Add a passkey" and "Remove". Adding and removing are sensitive (ASVS 7.5.1): each POST is behind
// the recent sign-in check. The add button is a real form POST to /account/passkeys, which the page
// script takes over only when the page says the sign-in is recent; otherwise the press reaches the
// server, which answers 303 /account/confirm and, once confirmed, comes back to this page.
//
// Registration: options (the account's credentials excluded) with a challenge kept in the session
// → the browser → POST /account/passkeys with `response` and `name`. At most MAX_PASSKEYS, and a
// credential registered once in the whole database: both decided by the store in one atomic step.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { csrfOnlyBody, formBody } from './form-schemas.ts';
import { accountOf } from './signed-in-account.ts';
import { RESPONSE_MAX } from './login-passkey.ts';
import { MAX_PASSKEYS } from '../accounts/passkey-store.ts';
import { checkRegistration, registrationOptions } from '../passkeys/webauthn.ts';
import { parseResponseField } from '../passkeys/check-assertion.ts';
import { absoluteTime, timeAgo } from '../http/readable-time.ts';
import type { SignedIn } from '../signin/state.ts';

export const PASSKEYS_PATH = '/account/passkeys';
/** The home page's "Not now": the offer to add a passkey is gone for the rest of this session. */
export const DISMISS_OFFER_PATH = '/account/passkey-offer/dismiss';

export const NAME_MAX = 64;
const registerBody = formBody(
  // Longer than allowed, so a long name gets the page and its rule, not a bare 400.
  { response: { type: 'string', maxLength: RESPONSE_MAX }, name: { type: 'string', maxLength: 4 * NAME_MAX } },
  [],
);
const removeBody = formBody({ id: { type: 'string', maxLength: 16 } }, ['id']);
const DAY = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });
// Control characters (C0, DEL, C1), line and paragraph separators, and the bidirectional controls
// (the overrides, isolates and the invisible marks: U+200E, U+200F, U+061C) that can make a name lie about itself.
const UNSHOWABLE = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u;
// A name must show something: zero-width spaces, joiners and the like alone would list as a blank.
const VISIBLE = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}]/u;

/** The name a passkey is saved under: trimmed, 1-64 characters, "Passkey added on 7 Dec 2026" when left empty. */
export function passkeyName(typed: string | undefined, now = Date.now()): { name: string } | { problem: string } {
  const name = (typed ?? '').trim();
  if (name === '') return { name: `Passkey added on ${DAY.format(now)}` };
  if ([...name].length > NAME_MAX) return { problem: `A passkey’s name can be at most ${NAME_MAX} characters.` };
  if (UNSHOWABLE.test(name)) return { problem: 'A passkey’s name can’t contain control characters.' };
  if (!VISIBLE.test(name)) return { problem: 'A passkey’s name needs a letter, digit or symbol you can see.' };
  return { name };
}

export default async function accountPasskeysRoutes(app: FastifyInstance): Promise<void> {
  const { audit, passkeys } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();
  const recent = app.requireRecentSignIn(PASSKEYS_PATH);

  const show = async (request: FastifyRequest, reply: FastifyReply, status: number, error?: string) => {
    const account = accountOf(request);
    const list = await passkeys.store.list(account.id);
    const notice = request.session.passkeysNotice;
    if (notice !== undefined) delete request.session.passkeysNotice;
    const now = Date.now();
    return reply.page(status, 'passkeys', 'Passkeys', {
      passkeys: list.map((p) => ({
        id: p.id,
        name: p.name,
        added: absoluteTime(p.createdAt),
        addedIso: new Date(p.createdAt).toISOString(),
        lastUsed: p.lastUsedAt === null ? undefined : timeAgo(p.lastUsedAt, now),
        lastUsedIso: p.lastUsedAt === null ? undefined : new Date(p.lastUsedAt).toISOString(),
      })),
      full: list.length >= MAX_PASSKEYS,
      max: MAX_PASSKEYS,
      recent: app.isRecentSignIn(request),
      error,
      notice,
    });
  };
  const done = (request: FastifyRequest, reply: FastifyReply, notice: string) => {
    request.session.passkeysNotice = notice;
    return reply.redirect(PASSKEYS_PATH, 303);
  };

  app.get(PASSKEYS_PATH, async (request, reply) => show(request, reply, 200));

  // JSON for the page's script. A plain form POST here (no script) goes back to the page.
  typed.post(`${PASSKEYS_PATH}/options`, { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf, preHandler: recent }, async (request, reply) => {
    if (!request.headers.accept?.includes('application/json')) return reply.redirect(PASSKEYS_PATH, 303);
    reply.header('cache-control', 'no-store');
    const account = accountOf(request);
    const list = await passkeys.store.list(account.id);
    if (list.length >= MAX_PASSKEYS) return reply.code(409).send({ error: `You have ${MAX_PASSKEYS} passkeys, the most an account can have. Remove one to add another.` });
    const options = await registrationOptions(passkeys.rp, { id: account.id, email: account.email }, list);
    passkeys.keepChallenge(request, 'register', account.id, options.challenge);
    return reply.send(options);
  });

  typed.post(PASSKEYS_PATH, { schema: { body: registerBody }, preValidation: app.checkCsrf, preHandler: recent }, async (request, reply) => {
    const userId = accountOf(request).id;
    const { response, name: typedName } = request.body;
    if (!response) return show(request, reply, 400, 'Your browser sent no passkey. Press “Add a passkey” again.');
    const named = passkeyName(typedName);
    if ('problem' in named) return show(request, reply, 400, named.problem);
    const taken = await passkeys.takeChallenge(request, 'register', userId);
    const parsed = parseResponseField(response);
    const checked = taken.ok && parsed !== undefined ? await checkRegistration(passkeys.rp, parsed, taken.challenge) : undefined;
    if (!checked?.ok) {
      const reason = parsed === undefined ? 'malformed' : !taken.ok ? (taken.reason === 'expired' ? 'expired' : 'no-challenge') : (checked?.reason ?? 'malformed');
      await audit.record('passkey-failed', request, { userId, detail: `register ${reason}` });
      const message = reason === 'expired' ? 'That took too long. Press “Add a passkey” again.' : 'That passkey could not be added. Press “Add a passkey” again.';
      return show(request, reply, 400, message);
    }
    // Under this session's epoch: a password change or "sign out everywhere" that ended this
    // session after the gate let it in is not followed by its passkey.
    const sessionEpoch = (request.session.signedIn as SignedIn).epoch;
    const added = await passkeys.store.add({ ...checked.credential, userId, name: named.name, createdAt: Date.now() }, MAX_PASSKEYS, sessionEpoch);
    if ('refused' in added) {
      await audit.record('passkey-failed', request, { userId, detail: `register ${added.refused}` });
      if (added.refused === 'signed-out') {
        await app.signIn.end(request, reply);
        const message = 'This browser was signed out meanwhile (a password change, or “Sign out all other browsers”), so the passkey was not added. Sign in again.';
        return reply.page(409, 'error', 'Passkey not added', { heading: 'Passkey not added', message, retry: { href: '/login', label: 'Sign in again' } });
      }
      const message =
        added.refused === 'full'
          ? `You have ${MAX_PASSKEYS} passkeys, the most an account can have. Remove one to add another.`
          : 'That passkey is registered already.';
      return show(request, reply, 409, message);
    }
    await audit.record('passkey-added', request, { userId, detail: `passkey ${added.added.id}` });
    delete request.session.passkeyOffer;
    return done(request, reply, `Passkey “${named.name}” added. Next time you sign in, use it instead of a code.`);
  });

  typed.post(`${PASSKEYS_PATH}/remove`, { schema: { body: removeBody }, preValidation: app.checkCsrf, preHandler: recent }, async (request, reply) => {
    const userId = accountOf(request).id;
    const { id } = request.body;
    if (!/^[1-9][0-9]{0,14}$/.test(id)) return show(request, reply, 400, 'That is not a passkey of this account.');
    if (!(await passkeys.store.remove(userId, Number(id)))) return done(request, reply, 'That passkey had been removed already.');
    await audit.record('passkey-removed', request, { userId, detail: `passkey ${id}` });
    const left = await passkeys.store.has(userId);
    return done(request, reply, left ? 'Passkey removed.' : 'Passkey removed. You have none left: you sign in with a code by SMS again.');
  });

  typed.post(DISMISS_OFFER_PATH, { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    delete request.session.passkeyOffer;
    return reply.redirect('/', 303);
  });
}
