import { defineConfig } from 'vitest/config';

/**
 * Tests that need no peer (no broker, PLC or OPC UA server, serial pty, child process or LevelDB store):
 * `npm run test:unit`, seconds in all. Everything else is `npm run test:integration`; `npm test` runs both.
 * A test belongs here only if it stays that fast and self-contained.
 */
const UNIT = [
  'test/core/**/*.test.ts',
  'test/mappings/**/*.test.ts',
  'test/drivers/opcua/library-log.test.ts',
  'test/drivers/opcua/retry-sleep.test.ts',
  'test/gateway/commands/ports.test.ts',
  'test/gateway/commands/validate.test.ts',
  'test/gateway/config/fixtures.test.ts',
  'test/gateway/config/json-depth.test.ts',
  'test/gateway/config/json-duplicate-keys.test.ts',
  'test/gateway/config/load.test.ts',
  'test/gateway/config/messages.test.ts',
  'test/gateway/config/opcua-example.test.ts',
  'test/gateway/config/schema-files.test.ts',
  'test/gateway/config/schema-validation.test.ts',
  'test/gateway/config/secrets.test.ts',
  'test/gateway/http/poll-health.test.ts',
  'test/gateway/json-bytes.test.ts',
  'test/gateway/messages.test.ts',
  'test/gateway/publisher/connect-errors.test.ts',
  'test/gateway/publisher/redact-url.test.ts',
  'test/gateway/publisher/rejection-reporter.test.ts',
  'test/gateway/publisher/replay-limiter.test.ts',
  'test/gateway/publisher/stamp.test.ts',
  'test/gateway/queue/memory-queue.test.ts',
  'test/gateway/queue/record-codec.test.ts',
  'test/gateway/queue/stored-sizes.test.ts',
  'test/gateway/queue/tail-cache.test.ts',
  'test/gateway/simulated-plc-process.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests spawn brokers and servers on free ports; two cores here.
    maxWorkers: 2,
    projects: [
      // Pure tests share workers (no module state to leak, by the house rules): about 6 s instead of 18 s here.
      { extends: true, test: { name: 'unit', include: UNIT, isolate: false } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: UNIT } },
    ],
  },
});
