import { defineConfig } from 'vitest/config';

/** The browser tests (`npm run test:e2e`, after `vite build`): headless Chromium on dist-web/. */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    // One browser, models loaded once per page, on a 2-core machine: slow by nature.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
