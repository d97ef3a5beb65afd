import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { main } from './main.js'

it('runs the main job: appends, evolves the schema and prunes the scan to the filtered days', async () => {
  const warehouse = await mkdtemp(join(tmpdir(), 'lake-quickstart-test-'))
  try {
    const lines: string[] = []
    await main(warehouse, (line) => lines.push(line))
    expect(lines).toContain('planned 2 of 6 data files; pruned 4')
    expect(lines).toContain('scan returned 1334 purchase events from the last two days')
    expect(lines.some((l) => l.includes('schema 1: id, ts, kind, user_id, amount, country'))).toBe(true)
  } finally {
    await rm(warehouse, { recursive: true, force: true })
  }
})
