// Debian's headless Chromium through playwright-core, launched the one way
// every browser test here uses (shared/TOOLCHAIN.md: no downloads, a fresh
// profile, nothing phoning home). CHROMIUM_BIN overrides the binary.
import { chromium } from 'playwright-core';

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    timeout: 60_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}
