// What the code page says about where the latest code went: the channel of that delivery in the
// workflow (VERIFY_WORKFLOW, as VerifyClient.channels reports it) and the words for it.
import type { DeliveryChannel } from './delivery-settings.ts';
import { codeFieldMaxLength, codeFieldPattern } from './code-shape.ts';

const SENT_BY: Record<DeliveryChannel, string> = {
  sms: 'by SMS',
  voice: 'by a phone call',
  whatsapp: 'on WhatsApp',
  email: 'by email',
};

/** The channel of delivery number `step` (0: the first code); past the last, Vonage has none left. */
export function channelOf(channels: readonly DeliveryChannel[], step = 0): DeliveryChannel {
  return channels[Math.min(step, channels.length - 1)] ?? 'sms';
}

/** "by SMS", "on WhatsApp": how a code sent on that channel reaches the user. */
export function sentBy(channel: DeliveryChannel): string {
  return SENT_BY[channel];
}

export function resentNotice(channel: DeliveryChannel): string {
  return `Your code is on its way again, ${sentBy(channel)} this time.`;
}

/** What the code template needs to say where the code went and to shape its field. */
export function codeFieldView(channels: readonly DeliveryChannel[], step: number | undefined, codeLength: number) {
  const channel = channelOf(channels, step);
  return { channel, sentBy: sentBy(channel), codeLength, codePattern: codeFieldPattern(codeLength), codeMaxLength: codeFieldMaxLength(codeLength) };
}
