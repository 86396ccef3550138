// How codes are delivered: the channels in order, the code's length, the message's language and
// the WhatsApp sender (VERIFY_WORKFLOW, VERIFY_CODE_LENGTH, VERIFY_LOCALE, VONAGE_WHATSAPP_FROM).
// Checked once here, per API, so the adapters trust what they are given. Errors are plain and name
// the variable; loadConfig turns them into ConfigErrors.
import { LEGACY_LOCALES, V2_LOCALES } from '../verify-simulator/vonage-locales.ts';

export const CHANNELS = ['sms', 'voice', 'whatsapp', 'email'] as const;
export type DeliveryChannel = (typeof CHANNELS)[number];

export interface DeliverySettings {
  /** Distinct channels, in the order Verify tries them. */
  workflow: DeliveryChannel[];
  /** Digits in a code: 4–10 on v2, 4 or 6 on legacy. */
  codeLength: number;
  /** A Vonage locale, lower case: 'en-us', 'de-de', 'yue-cn'. */
  locale: string;
  /** Bare E.164 digits of the WhatsApp Business number; set whenever `whatsapp` is in the workflow. */
  whatsappFrom?: string;
}

export const DEFAULT_DELIVERY: DeliverySettings = { workflow: ['sms', 'voice'], codeLength: 6, locale: 'en-us' };

/** Verify v2 takes at most three workflow steps. */
const V2_MAX_STEPS = 3;

/** Legacy Verify's numbered workflows (its `tts` is our `voice`): the ones a workflow of sms and voice can use. */
export const LEGACY_WORKFLOWS = { 5: ['sms', 'voice'], 6: ['sms'], 7: ['voice'], 3: ['voice', 'voice'] } as const;
export type LegacyWorkflowId = keyof typeof LEGACY_WORKFLOWS;

type Api = 'v2' | 'legacy' | 'demo';

export function parseWorkflow(raw: string | undefined, api: Api): DeliveryChannel[] {
  if (raw === undefined) return [...DEFAULT_DELIVERY.workflow];
  const names = raw.split(',').map((s) => s.trim().toLowerCase());
  const unknown = names.find((n) => !(CHANNELS as readonly string[]).includes(n));
  if (unknown !== undefined) {
    throw new Error(`VERIFY_WORKFLOW must list channels from ${CHANNELS.join(', ')} separated by commas, got "${raw}"`);
  }
  const workflow = names as DeliveryChannel[];
  if (new Set(workflow).size !== workflow.length) throw new Error(`VERIFY_WORKFLOW names a channel twice: "${raw}"`);
  if (api === 'legacy') {
    const other = workflow.find((c) => c !== 'sms' && c !== 'voice');
    if (other) throw new Error(`VERIFY_WORKFLOW: legacy Verify (VERIFY_API=legacy) sends only sms and voice, got "${other}"`);
  } else if (workflow.length > V2_MAX_STEPS) {
    throw new Error(`VERIFY_WORKFLOW: Verify v2 takes at most ${V2_MAX_STEPS} channels, got ${workflow.length}`);
  }
  return workflow;
}

export function parseCodeLength(raw: string | undefined, api: Api): number {
  if (raw === undefined) return DEFAULT_DELIVERY.codeLength;
  const value = Number(raw);
  if (api === 'legacy') {
    if (raw !== '4' && raw !== '6') throw new Error(`VERIFY_CODE_LENGTH must be 4 or 6 on legacy Verify, got "${raw}"`);
  } else if (!/^\d{1,2}$/.test(raw) || value < 4 || value > 10) {
    throw new Error(`VERIFY_CODE_LENGTH must be a number of digits from 4 to 10, got "${raw}"`);
  }
  return value;
}

/** One of the locales Vonage documents for that API ('de-de'; legacy knows more, e.g. 'ja-jp'). */
export function parseLocale(raw: string | undefined, api: Api): string {
  if (raw === undefined) return DEFAULT_DELIVERY.locale;
  const locale = raw.toLowerCase().replace('_', '-');
  const known = api === 'legacy' ? LEGACY_LOCALES : V2_LOCALES;
  if (!known.includes(locale)) {
    const which = api === 'legacy' ? 'legacy Verify' : 'Verify v2';
    throw new Error(`VERIFY_LOCALE must be a locale ${which} knows (${known.join(', ')}), got "${raw}"`);
  }
  return locale;
}

/** The WhatsApp Business number as Vonage wants it: E.164 digits without '+' or '00'. */
export function parseWhatsAppFrom(raw: string | undefined, workflow: DeliveryChannel[]): string | undefined {
  if (!workflow.includes('whatsapp')) return undefined;
  if (raw === undefined) throw new Error('VONAGE_WHATSAPP_FROM (the WhatsApp Business number) is required when VERIFY_WORKFLOW includes whatsapp');
  const digits = raw.replace(/^\+/, '').replace(/[\s-]/g, '');
  if (!/^[1-9]\d{6,14}$/.test(digits)) {
    throw new Error(`VONAGE_WHATSAPP_FROM must be a phone number in E.164 form such as +447700900000, got "${raw}"`);
  }
  return digits;
}

/**
 * The legacy workflow nearest to an order of sms and voice: the same first channel and as many
 * deliveries. Voice then SMS has no numbered workflow; the nearest calls twice (3), and
 * `legacyWorkflowNote` says so at start.
 */
export function legacyWorkflowFor(workflow: readonly DeliveryChannel[]): LegacyWorkflowId {
  const key = workflow.join(',');
  if (key === 'sms') return 6;
  if (key === 'voice') return 7;
  if (key === 'voice,sms') return 3;
  return 5;
}

export function legacyWorkflowNote(workflow: readonly DeliveryChannel[]): string | undefined {
  return workflow.join(',') === 'voice,sms'
    ? 'VERIFY_WORKFLOW=voice,sms: legacy Verify has no call-then-SMS workflow; it uses workflow 3 (a call, then another call)'
    : undefined;
}

/** The channels a request actually goes through, in order, as the code page reports them. */
export function deliveredChannels(api: 'v2' | 'legacy', workflow: readonly DeliveryChannel[]): readonly DeliveryChannel[] {
  return api === 'legacy' ? LEGACY_WORKFLOWS[legacyWorkflowFor(workflow)] : workflow;
}
