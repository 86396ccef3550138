// What the user reads, and the HTTP status they get, for each way verification can fail.
// `restart: true` means the pending verification is dead: send the user back to sign in again
// (that is the only way to get a new code). `false` means stay on the current step.

import type { VerifyFailure } from './verify-client.ts';

export interface FailureMessage {
  status: number;
  message: string;
  restart: boolean;
}

const NUMBER_PROBLEM =
  "We can't send a code to the phone number on your account. Contact your administrator.";

const MESSAGES: Readonly<Record<VerifyFailure, FailureMessage>> = {
  'wrong-code': {
    status: 401,
    message: "That code isn't right. Check the message and try again.",
    restart: false,
  },
  'too-many-attempts': {
    status: 401,
    message: 'Too many wrong codes. Sign in again to get a new one.',
    restart: true,
  },
  expired: {
    status: 401,
    message: 'That code has expired. Sign in again to get a new one.',
    restart: true,
  },
  concurrent: {
    status: 409,
    message:
      'A code was already sent to your phone a moment ago. Enter that code, or wait a few minutes and sign in again.',
    restart: false,
  },
  'invalid-number': { status: 422, message: NUMBER_PROBLEM, restart: false },
  'unreachable-number': { status: 422, message: NUMBER_PROBLEM, restart: false },
  throttled: {
    status: 429,
    message: 'Too many attempts right now. Please wait a minute and try again.',
    restart: false,
  },
  'cancel-too-soon': {
    status: 409,
    message: 'Your code is still on its way. Please wait 30 seconds and try again.',
    restart: false,
  },
  'no-more-events': {
    status: 409,
    message:
      "We've already sent your code every way we can. Enter the code you received, or sign in again to get a new one.",
    restart: false,
  },
  rejected: {
    status: 503,
    message:
      "Sign-in codes can't be sent right now because of a problem on our side. Please try again later or contact your administrator.",
    restart: false,
  },
  unavailable: {
    status: 503,
    message: "We couldn't reach the verification service. Please try again in a moment.",
    restart: false,
  },
};

export function describeFailure(failure: VerifyFailure): FailureMessage {
  // An unknown kind (should never happen) reads as a transient outage, never as a crash.
  const m = Object.hasOwn(MESSAGES, failure) ? MESSAGES[failure] : MESSAGES.unavailable;
  return { ...m };
}
