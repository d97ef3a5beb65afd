import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['lake-source'] },
  ssr: { resolve: { conditions: ['lake-source'] } },
  test: { name: 'example-quickstart', include: ['src/**/*.test.ts'], testTimeout: 60_000 },
})
