import { fileURLToPath } from 'node:url'
import { defineProject } from 'vitest/config'

// The ingest worker against the real Kafka and HDFS of `pnpm stack up`. Not part of `pnpm test`;
// run with `pnpm exec vitest run --config packages/ingest/vitest.integration.config.ts`.
export default defineProject({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { conditions: ['lake-source'] },
  ssr: { resolve: { conditions: ['lake-source'] } },
  test: {
    name: 'ingest-integration',
    include: ['test/**/*.integration.test.ts'],
    // One test file at a time: they share two cores, a broker and a NameNode.
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
})
