import { defineProject } from 'vitest/config'

// The stack's own unit tests run with the workspace's `pnpm test`. The integration tests need
// the services up and run apart: see vitest.integration.config.ts.
export default defineProject({
  resolve: { conditions: ['lake-source'] },
  ssr: { resolve: { conditions: ['lake-source'] } },
  test: {
    name: 'stack',
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.integration.test.ts'],
  },
})
