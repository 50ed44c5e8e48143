import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

// Three suites, one run: unit tests are pure and fast; integration tests start real nodes on
// 127.0.0.1; end-to-end tests drive Chromium against the headless node built into out/.
//
// Unit and integration files run two at a time even on 2 cores (vitest's own default there is one,
// cores - 1): an integration file spends most of its time waiting on its nodes' timers and sockets,
// so a second file fills that idle CPU. End-to-end files run one at a time, after the others.
// Unit files share their workers (isolate: false): they hold no global state between files, and
// importing the modules once per worker instead of once per file is most of what they cost.
// (README.md, Tests: how long it takes)
export default defineConfig({
  test: {
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 10_000,
          isolate: false,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
