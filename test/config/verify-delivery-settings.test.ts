// VERIFY_WORKFLOW, VERIFY_CODE_LENGTH, VERIFY_LOCALE and VONAGE_WHATSAPP_FROM: defaults, and one
// clear line naming the variable for every value the configured Verify API cannot take.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'signin-delivery-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const base = { DATABASE_URL: `sqlite:${join(dir, 'app.db')}`, SESSION_SECRET: 'x'.repeat(32), VONAGE_API_HOST: 'http://127.0.0.1:9' };
const V2 = { ...base, VONAGE_APPLICATION_ID: 'app', VONAGE_PRIVATE_KEY: pem };
const LEGACY = { ...base, VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's' };

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('loadConfig accepted it');
}

describe('Verify delivery settings', () => {
  it('default to SMS then voice, six digits, en-us, on every API', () => {
    for (const env of [V2, LEGACY, base]) {
      expect(loadConfig(env).verify.delivery).toEqual({ workflow: ['sms', 'voice'], codeLength: 6, locale: 'en-us', whatsappFrom: undefined });
    }
  });

  it('v2 takes up to three channels in order, 4 to 10 digits and a v2 locale; the WhatsApp number as bare digits', () => {
    const env = { ...V2, VERIFY_WORKFLOW: 'whatsapp, email,voice', VERIFY_CODE_LENGTH: '10', VERIFY_LOCALE: 'DE-DE', VONAGE_WHATSAPP_FROM: '+44 7700 900001' };
    expect(loadConfig(env).verify.delivery).toEqual({ workflow: ['whatsapp', 'email', 'voice'], codeLength: 10, locale: 'de-de', whatsappFrom: '447700900001' });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['an unknown channel', { ...V2, VERIFY_WORKFLOW: 'sms,pigeon' }, /^VERIFY_WORKFLOW must list channels from sms, voice, whatsapp, email/],
    ['a channel twice', { ...V2, VERIFY_WORKFLOW: 'sms,sms' }, /^VERIFY_WORKFLOW names a channel twice/],
    ['four channels on v2', { ...V2, VERIFY_WORKFLOW: 'sms,voice,whatsapp,email', VONAGE_WHATSAPP_FROM: '447700900001' }, /^VERIFY_WORKFLOW: Verify v2 takes at most 3 channels/],
    ['whatsapp on legacy', { ...LEGACY, VERIFY_WORKFLOW: 'sms,whatsapp' }, /^VERIFY_WORKFLOW: legacy Verify .* sends only sms and voice, got "whatsapp"/],
    ['email on legacy', { ...LEGACY, VERIFY_WORKFLOW: 'email' }, /^VERIFY_WORKFLOW: legacy Verify/],
    ['3 digits on v2', { ...V2, VERIFY_CODE_LENGTH: '3' }, /^VERIFY_CODE_LENGTH must be a number of digits from 4 to 10, got "3"/],
    ['11 digits in demo mode', { ...base, VERIFY_CODE_LENGTH: '11' }, /^VERIFY_CODE_LENGTH must be a number of digits from 4 to 10/],
    ['5 digits on legacy', { ...LEGACY, VERIFY_CODE_LENGTH: '5' }, /^VERIFY_CODE_LENGTH must be 4 or 6 on legacy Verify, got "5"/],
    ['a locale v2 does not list', { ...V2, VERIFY_LOCALE: 'ja-jp' }, /^VERIFY_LOCALE must be a locale Verify v2 knows \(en-us, /],
    ['a locale that is not one', { ...LEGACY, VERIFY_LOCALE: 'german' }, /^VERIFY_LOCALE must be a locale legacy Verify knows/],
    ['whatsapp without its number', { ...V2, VERIFY_WORKFLOW: 'whatsapp,sms' }, /^VONAGE_WHATSAPP_FROM \(the WhatsApp Business number\) is required when VERIFY_WORKFLOW includes whatsapp/],
    ['a WhatsApp number that is not one', { ...V2, VERIFY_WORKFLOW: 'whatsapp', VONAGE_WHATSAPP_FROM: 'acme' }, /^VONAGE_WHATSAPP_FROM must be a phone number in E\.164 form/],
  ])('refuses %s at start, naming the variable', (_name, env, message) => {
    expect(errorOf(env)).toMatch(message);
  });

  it('legacy takes 4 digits, its wider locale list, and voice then SMS with a warning that it calls twice', () => {
    const config = loadConfig({ ...LEGACY, VERIFY_WORKFLOW: 'voice,sms', VERIFY_CODE_LENGTH: '4', VERIFY_LOCALE: 'ja-jp' });
    expect(config.verify.delivery).toMatchObject({ workflow: ['voice', 'sms'], codeLength: 4, locale: 'ja-jp' });
    expect(config.warnings).toContain('VERIFY_WORKFLOW=voice,sms: legacy Verify has no call-then-SMS workflow; it uses workflow 3 (a call, then another call)');
  });
});
