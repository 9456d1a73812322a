import { defineConfig } from 'vitest/config';

/**
 * Two projects: `fast` (unit, in-process and spawned-CLI tests) and `slow` (the SIGKILL, multi-process,
 * concurrency and docs suites, which take most of the time). `npm test` runs both; `npm run test:fast`
 * runs the first while working.
 */
const SLOW = [
  'test/**/crash.test.ts',
  'test/**/kill.test.ts',
  'test/**/multiprocess.test.ts',
  'test/**/concurrency.test.ts',
  'test/**/processes.test.ts',
  'test/queue/rounds.test.ts',
  'test/ibkr/week.test.ts',
  'test/docs/**/*.test.ts',
  'test/api/package.test.ts',
  'test/**/*corpus.test.ts',
  'test/**/*.slow.test.ts',
  'test/**/browser.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: SLOW } },
      { extends: true, test: { name: 'slow', include: SLOW } },
    ],
  },
});
