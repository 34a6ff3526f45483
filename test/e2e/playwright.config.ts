import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../runtime/chromium.ts';

export default defineConfig({
  testDir: '.',
  outputDir: '../../test-results',
  timeout: 180_000,
  reporter: 'line',
  use: {
    baseURL: 'http://127.0.0.1:5174',
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
  },
  webServer: {
    command: 'node node_modules/vite/bin/vite.js demo --host 127.0.0.1 --port 5174 --strictPort',
    cwd: '../..',
    url: 'http://127.0.0.1:5174',
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
