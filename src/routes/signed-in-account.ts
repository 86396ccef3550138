// The account of a request in the account area (account-area.ts), which the gate has admitted.
import type { FastifyRequest } from 'fastify';
import type { Account } from '../accounts/account-store.ts';

/**
 * The account the gate admitted. Only routes registered in this area call it, where the gate has
 * always run: a missing account is a wiring mistake (a 500), never a user's doing.
 */
export function accountOf(request: FastifyRequest): Account {
  const { account } = request;
  if (account === null) throw new Error(`${request.routeOptions.url} is not behind the sign-in gate`);
  return account;
}
