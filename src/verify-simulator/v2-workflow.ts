// Verify v2 workflow steps as Vonage checks them: each channel takes its own fields only.
import { classifyNumber } from './state.ts';

export type Invalid = { name: string; reason: string };

/** Each channel's own workflow fields (verify.v2 NewPINRequestWorkflow*, @vonage/verify2 workflow types). */
const STEP_KEYS: Record<string, Set<string>> = {
  sms: new Set(['channel', 'to', 'from', 'entity_id', 'content_id', 'app_hash']),
  voice: new Set(['channel', 'to']),
  whatsapp: new Set(['channel', 'to', 'from', 'mode']),
  whatsapp_interactive: new Set(['channel', 'to', 'from']),
  rcs: new Set(['channel', 'to', 'from']),
  email: new Set(['channel', 'to', 'from']),
  silent_auth: new Set(['channel', 'to', 'redirect_url', 'sandbox']),
};
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** One workflow step: a known channel, only that channel's fields, a `to` of the right kind; WhatsApp names its sender. */
export function invalidStep(s: Record<string, unknown>, i: number): Invalid[] {
  const bad: Invalid[] = [];
  const keys = typeof s.channel === 'string' ? STEP_KEYS[s.channel] : undefined;
  if (!keys) return [{ name: `workflow[${i}].channel`, reason: 'Invalid channel' }];
  for (const k of Object.keys(s)) if (!keys.has(k)) bad.push({ name: `workflow[${i}].${k}`, reason: 'Unknown parameter' });
  if (s.channel === 'email') {
    if (typeof s.to !== 'string' || !EMAIL.test(s.to)) bad.push({ name: `workflow[${i}].to`, reason: 'Invalid email address' });
    if (s.from !== undefined && (typeof s.from !== 'string' || !EMAIL.test(s.from))) bad.push({ name: `workflow[${i}].from`, reason: 'Invalid email address' });
    return bad;
  }
  if (classifyNumber(s.to) === 'invalid') {
    bad.push({ name: `workflow[${i}].to`, reason: 'Invalid phone number: must be E.164 digits without a leading +' });
  }
  if (s.channel === 'whatsapp' && classifyNumber(s.from) === 'invalid') {
    bad.push({ name: `workflow[${i}].from`, reason: 'The WhatsApp Business number is required: E.164 digits without a leading +' });
  }
  return bad;
}
