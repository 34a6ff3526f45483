/**
 * How the tests start the system Chromium (apt's /usr/bin/chromium, never a downloaded browser):
 * as root, headless, on a closed network (TOOLCHAIN.md gotcha 9).
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
