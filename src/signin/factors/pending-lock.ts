// The lock every step that may finish a pending sign-in holds, so two of them never both reach
// `app.signIn.finish` (whose loser would end the winner's new session with the old one): the
// pending Verify request's once a code went out (as the code checks and resends take it), else the
// account's passkey-step lock (a passkey, a recovery code or "Send a code instead" before any code).
import type { FastifyRequest } from 'fastify';
import type { Release } from '../sign-in.ts';
import { holdVerifyCalls } from './verify-code/check-code.ts';
import { pendingCode } from './verify-code/state.ts';

export function holdPendingSignIn(request: FastifyRequest, userId: number): Promise<Release | undefined> {
  const code = pendingCode(request);
  return holdVerifyCalls(request, request.server.budgets, code ? code.requestId : `passkey-sign-in:${userId}`);
}
