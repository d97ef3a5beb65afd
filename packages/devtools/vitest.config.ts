import { defineProject } from 'vitest/config'

export default defineProject({
  test: { name: 'devtools', include: ['src/**/*.test.ts'] },
})
