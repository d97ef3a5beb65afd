import { fileURLToPath } from 'node:url'
import { defineProject } from 'vitest/config'

// Tests against the real services of `pnpm stack up`. Not part of `pnpm test` yet; run them with
// `pnpm exec vitest run --config packages/stack/vitest.integration.config.ts`.
export default defineProject({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { conditions: ['lake-source'] },
  ssr: { resolve: { conditions: ['lake-source'] } },
  test: {
    name: 'stack-integration',
    include: ['test/**/*.integration.test.ts', '../query/test/*.integration.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    // One file at a time: the fault tests stop HDFS daemons, which would fail any other file
    // using the stack meanwhile. They start them again before the next file runs.
    fileParallelism: false,
  },
})
