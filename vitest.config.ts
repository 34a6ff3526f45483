import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { findChromium } from './test/runtime/chromium.ts';

// Found when the config loads; where none is, only the browser project fails, with the pre-flight
// (`scripts/check-test-prerequisites.ts chromium`, run first by `npm run test:browser`) saying why.
const chromium = await findChromium().catch(() => undefined);

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          globalSetup: ['test/runtime/nats-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'chromium',
          include: ['test/conformance/**/*.test.ts'],
          globalSetup: ['test/runtime/nats-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: chromium?.launchOptions,
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
  // Pre-bundled up front so the browser run does not reload midway to optimise it.
  optimizeDeps: {
    include: [
      'yaml',
      'fast-check',
      '@noble/post-quantum/ml-kem.js',
      '@noble/post-quantum/ml-dsa.js',
      '@noble/curves/ed25519.js',
      '@noble/hashes/hkdf.js',
      '@noble/hashes/sha2.js',
      '@noble/hashes/scrypt.js',
      '@noble/ciphers/aes.js',
      'snappyjs',
      '@bufbuild/protobuf/wire',
      'onnxruntime-web/wasm',
      '@huggingface/transformers',
      // The cluster over NATS (its config validator, the clients; transport-node is imported,
      // never run, in the browser, which connects over WebSocket).
      'ajv/dist/2020.js',
      '@nats-io/nats-core',
      '@nats-io/jetstream',
      '@nats-io/kv',
      '@nats-io/transport-node',
    ],
  },
  worker: { format: 'es' },
});
