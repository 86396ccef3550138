// Debian's Chromium through playwright-core, launched the same way by the browser suite and by the
// scripts that record what Chromium sends (test/fixtures/webauthn/record.ts): no vitest in here.
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // Root needs --no-sandbox; the rest keeps Chromium from calling home on this closed network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
