// The canned answers of the simulator's failure modes. The refusals are shaped the way Vonage
// documents them (docs/verify-api-conformance.md): v2 problem+json, legacy HTTP 200 + `status`.

import type { SimApi, SimReply, SimulatorFailureMode } from './state.ts';
import { problem } from './v2.ts';

function legacyStatus(status: string, errorText: string): SimReply {
  return { status: 200, contentType: 'application/json', body: { status, error_text: errorText } };
}

/** Calls that send the user something (and cost money): starts, v2 next_workflow, legacy control. */
function sends(api: SimApi | 'unknown', method: string, path: string): boolean {
  const p = path.replace(/\/+$/, '');
  if (api === 'v2') return method === 'POST' && (p === '/v2/verify' || p.endsWith('/next_workflow'));
  return p === '/verify/json' || p === '/verify/control/json';
}

export function failureReply(mode: SimulatorFailureMode, api: SimApi | 'unknown', method: string, path: string): SimReply | undefined {
  const v2 = api === 'v2';
  switch (mode) {
    case 'down':
      return v2
        ? problem(503, '#internal-error', 'Service Unavailable', 'The service is temporarily unavailable.')
        : { status: 503, contentType: 'text/html', body: '<html><body><h1>503 Service Unavailable</h1></body></html>' };
    case 'garbage':
      return { status: 200, contentType: 'application/json', body: '<html>upstream hiccup' };
    case 'garbage-json':
      return { status: 200, contentType: 'application/json', body: { ok: 'yes', data: [1, 2] } };
    case 'throttled':
      return v2 ? problem(429, '#throttled', 'Rate Limit Hit', 'Please wait, then retry your request') : legacyStatus('1', 'Throttled');
    case 'internal-error':
      return v2
        ? problem(500, '#internal-error', 'Internal Server Error', 'An error occurred on the Vonage platform.')
        : legacyStatus('5', 'Internal Error');
    case 'low-balance':
      if (!sends(api, method, path)) return undefined;
      return v2
        ? problem(402, '#low-balance', 'Low balance', 'This request could not be performed due to your account balance being low.')
        : legacyStatus('9', 'Partner quota exceeded');
    case 'barred':
      if (!sends(api, method, path)) return undefined;
      return v2
        ? problem(403, '#forbidden', 'Forbidden', 'Your account does not have permission to perform this action.')
        : legacyStatus('8', 'The api_key you supplied is for an account that has been barred from submitting messages.');
    default:
      return undefined;
  }
}
