import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // p-retry is ESM only: from CommonJS, Node.js 20 hands its default export over as a namespace,
  // so the builds carry it (and its one dependency) inside.
  noExternal: ['p-retry', 'is-network-error'],
})
