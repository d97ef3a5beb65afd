import { defineProject } from 'vitest/config'

export default defineProject({
  // Workspace packages resolve to their TypeScript sources, so tests need no build first.
  resolve: { conditions: ['lake-source'] },
  ssr: { resolve: { conditions: ['lake-source'] } },
  test: {
    name: 'ingest',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/**/*.integration.test.ts'],
  },
})
