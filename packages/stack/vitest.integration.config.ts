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
    include: ['test/**/*.integration.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
})
