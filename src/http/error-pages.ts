// Every error becomes a page with a clear message and the right 4xx; only real faults are 5xx,
// and those say nothing about internals.
import fp from 'fastify-plugin';
import { isBackendUnavailable } from '../storage/unavailable.ts';
import { HttpsRequiredError } from './require-https.ts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const CSRF_FAILURE = {
  heading: 'This form has expired',
  message: 'For your security the form could not be accepted. Reload the page and try again.',
};

const CLIENT_ERRORS: Record<number, { heading: string; message: string }> = {
  400: { heading: 'That request was not understood', message: 'Something in the form was missing or malformed. Please go back and try again.' },
  403: { heading: 'Not allowed', message: 'You cannot open this address.' },
  404: { heading: 'Page not found', message: 'There is nothing at this address.' },
  405: { heading: 'Not allowed', message: 'This page cannot be used that way.' },
  413: { heading: 'Too much data', message: 'The form sent more data than we accept.' },
  415: {
    heading: 'Only forms are accepted',
    message: 'This site accepts only the HTML forms on its pages (sent as application/x-www-form-urlencoded). Please go back and use the form.',
  },
  429: { heading: 'Too many attempts', message: 'Please wait a minute before trying again.' },
};

type Retry = { href: string; label: string };

function sendErrorPage(reply: FastifyReply, status: number, heading: string, message: string, link?: Retry) {
  if (reply.sent) return reply;
  const retry = link ?? (status === 404 ? { href: '/', label: 'Go to the home page' } : { href: '/login', label: 'Back to sign in' });
  return reply.page(status, 'error', heading, { heading, message, retry });
}

async function errorPagesPlugin(app: FastifyInstance): Promise<void> {
  app.setNotFoundHandler((request, reply) => {
    const { heading, message } = CLIENT_ERRORS[404];
    return sendErrorPage(reply, 404, heading, message);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    parseCookiesIfSkipped(app, request);
    let status = error.statusCode ?? 500;
    // A form that fails its schema is malformed input (400); a body that is not a form at all
    // (JSON, multipart, text, no Content-Type) keeps Fastify's 415, whose page says what we accept.
    if (error.validation) status = 400;
    if (error.code?.startsWith('FST_CSRF_')) {
      request.log.info({ status: 403, code: error.code }, 'client error');
      return sendErrorPage(reply, 403, CSRF_FAILURE.heading, CSRF_FAILURE.message);
    }
    if (error instanceof HttpsRequiredError) {
      request.log.info({ status: 400, code: error.code }, 'client error');
      const signInPage = `${error.publicOrigin}/login`;
      return sendErrorPage(reply, 400, 'HTTPS is required', `This site works only over a secure connection. Please sign in at ${signInPage}.`, {
        href: signInPage,
        label: 'Go to the secure sign-in page',
      });
    }
    if (status >= 400 && status < 500) {
      const known = CLIENT_ERRORS[status] ?? CLIENT_ERRORS[400];
      request.log.info({ status, code: error.code }, 'client error');
      if (status === 429 && error.message) return sendErrorPage(reply, 429, known.heading, error.message);
      return sendErrorPage(reply, status, known.heading, known.message);
    }
    if (isBackendUnavailable(error)) {
      // Fail closed, and say so: nothing was decided, the request can be tried again shortly.
      request.log.error({ failure: { name: error.name, message: error.message } }, 'a backend did not answer');
      // Saving the session on the way out would meet the same outage and replace this page with a bare error.
      request.session = null as unknown as typeof request.session;
      reply.header('retry-after', '5');
      return sendErrorPage(reply, 503, 'Temporarily unavailable', 'We could not reach our database just now. Please try again in a few seconds.');
    }
    request.log.error({ err: { type: error.name, message: error.message, code: error.code, stack: error.stack } }, 'request failed');
    return sendErrorPage(reply, 500, 'Something went wrong', 'Sorry, we could not finish that. Please try again.');
  });
}

// An error raised by an onRequest hook that runs before @fastify/cookie's (a refused request
// target) arrives with `request.cookies` unset, and a page's CSRF token (`it.csrfToken()`) reads its
// secret there. Parse them as that hook would have, so any page renders (and keeps the browser's
// CSRF secret).
function parseCookiesIfSkipped(app: FastifyInstance, request: FastifyRequest): void {
  if (request.cookies == null) request.cookies = app.parseCookie(request.headers.cookie ?? '');
}

export default fp(errorPagesPlugin, { name: 'error-pages', dependencies: ['pages'] });
