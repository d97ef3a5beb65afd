import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HadoopCatalog, type Table } from '@lake/catalog'
import { afterEach } from 'vitest'

const dirs: string[] = []

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

/** A Hadoop catalog on a fresh local warehouse, removed after the test. */
export async function localCatalog(): Promise<HadoopCatalog> {
  const dir = await mkdtemp(join(tmpdir(), 'lake-ingest-'))
  dirs.push(dir)
  const catalog = new HadoopCatalog({ warehouse: dir })
  await catalog.createNamespace('db')
  return catalog
}

/** Every row of the table's current snapshot, as plain objects. */
export async function tableRows(table: Table): Promise<Record<string, unknown>[]> {
  const arrow = await table.scan().toArrow()
  return arrow.toArray().map((row) => ({ ...row.toJSON() }))
}

/** Fast commit retries, so races settle quickly. */
export const fastRetries = {
  'commit.retry.min-wait-ms': '1',
  'commit.retry.max-wait-ms': '50',
  'commit.retry.num-retries': '50',
}
