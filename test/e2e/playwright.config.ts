import { defineConfig } from '@playwright/test';
import { findChromium, SCREENSHOT_ORDER, THIS_HOST } from '../runtime/chromium.ts';

// The screenshot baselines are the npm Chromium's, so it comes before the machine's (see
// SCREENSHOT_ORDER). `npm run test:e2e` runs the pre-flight first, which says how to get one.
const { launchOptions } = await findChromium(THIS_HOST, SCREENSHOT_ORDER);

export default defineConfig({
  testDir: '.',
  outputDir: '../../test-results',
  timeout: 180_000,
  reporter: 'line',
  use: {
    baseURL: 'http://127.0.0.1:5174',
    launchOptions,
  },
  webServer: [
    {
      command: 'node node_modules/vite/bin/vite.js demo --host 127.0.0.1 --port 5174 --strictPort',
      cwd: '../..',
      url: 'http://127.0.0.1:5174',
      reuseExistingServer: false,
      timeout: 60_000,
      // A server that neither watches nor reloads: an edit elsewhere in the tree mid-run must not
      // reload a page under test (demo/vite.config.ts).
      env: { PLAYGROUND_WATCH: '0' },
    },
    {
      // The static site `npm run build:demo` writes, served as plain files.
      command:
        'node node_modules/vite/bin/vite.js build demo --logLevel error && node node_modules/vite/bin/vite.js preview demo --host 127.0.0.1 --port 5175 --strictPort',
      cwd: '../..',
      url: 'http://127.0.0.1:5175',
      reuseExistingServer: false,
      timeout: 120_000,
    },
  ],
});
