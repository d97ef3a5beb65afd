import { defineProject } from 'vitest/config'

export default defineProject({
  // Workspace packages resolve to their TypeScript sources, so tests need no build first.
  resolve: { conditions: ['lake-source'] },
  ssr: { resolve: { conditions: ['lake-source'] } },
  test: {
    name: 'interop',
    include: ['src/**/*.test.ts'],
    // Each test launches the JVM (about 1-2 s a time) and Python a few times.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
})
