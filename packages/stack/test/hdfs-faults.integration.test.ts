// Faults on the real HDFS of `pnpm stack up hdfs`: a daemon is stopped while an append streams
// its data file to the DataNode, and started again. The append must fail with a retryable error,
// the table must stay at its last good version, and the same append must then commit once.
// Stopping daemons breaks every other HDFS user of the stack, hence `fileParallelism: false` in
// vitest.integration.config.ts; afterEach brings any stopped daemon back and waits until healthy.
import { col, defineSchema, HadoopCatalog, ResolvingFileIO, type Table, WebHdfsFileIO } from '@lake/catalog'
import { type LakeError, StorageError } from '@lake/errors'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type HdfsDaemon, hdfs, hdfsEndpoints, startHdfsDaemon, stopHdfsDaemon } from '../src/hdfs.mjs'

const endpoints = hdfsEndpoints()
const run = `${endpoints.fsUri}/lake-it/faults-${Date.now().toString(36)}-${process.pid}`
const quiet = () => {}

/**
 * Lake's WebHDFS FileIO, unchanged but for the timing of one fault: while a fault is armed, the
 * next data file is sent in 64 KiB pieces and the fault runs (to its end) once half of them are
 * on their way. So the daemon goes away while the DataNode is receiving the file every time,
 * not by luck of timing; the requests, the daemons and the failure are all real.
 */
class FaultTimedIO extends WebHdfsFileIO {
  #fault: (() => Promise<void>) | undefined

  /** Runs `fault` in the middle of the next data file's upload. */
  armMidDataFile(fault: () => Promise<void>): void {
    this.#fault = fault
  }

  override async write(
    location: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    options?: Parameters<WebHdfsFileIO['write']>[2],
  ): Promise<void> {
    const fault = this.#fault
    if (!fault || !(data instanceof Uint8Array) || !/\/data\/.*\.parquet$/.test(location)) {
      return super.write(location, data, options)
    }
    this.#fault = undefined
    const bytes = data
    const piece = 64 * 1024
    const pieces = Math.ceil(bytes.byteLength / piece)
    async function* halves() {
      for (let i = 0; i < pieces; i++) {
        if (i === Math.floor(pieces / 2)) await fault!()
        yield bytes.subarray(i * piece, (i + 1) * piece)
      }
    }
    return super.write(location, halves(), options)
  }
}

const io = new FaultTimedIO({ namenodes: [endpoints.namenodeHttp], user: 'lake' })
const catalog = new HadoopCatalog({
  warehouse: `${run}/warehouse`,
  io: new ResolvingFileIO({ hdfs: () => io }),
})
const schema = defineSchema({ id: col.long().required(), note: col.string() })

/** Rows `from` ≤ id < `to`, with a note long enough that the data file takes many pieces. */
function rows(from: number, to: number) {
  return Array.from({ length: to - from }, (_, i) => ({
    id: BigInt(from + i),
    note: `row ${from + i} ${'abcdefghij'.repeat(8)}${(from + i) * 2654435761}`,
  }))
}

async function ids(table: Table): Promise<number[]> {
  const scanned = await table.scan().toArrow()
  return Array.from(scanned.getChild('id')!.toArray() as BigInt64Array, Number).sort((a, b) => a - b)
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

beforeAll(async () => {
  try {
    const response = await fetch(`${endpoints.namenodeHttp}/webhdfs/v1/?op=GETFILESTATUS&user.name=lake`, {
      signal: AbortSignal.timeout(5_000),
    })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
  } catch (error) {
    throw new Error(
      `HDFS is not up at ${endpoints.namenodeHttp} (${(error as Error).message}). Run \`pnpm stack up hdfs\` first.`,
    )
  }
  await catalog.createNamespace('faults')
})

// Whatever a test did, the stack is whole again for the next test and the next test file.
afterEach(() => hdfs.up(process.env, quiet), 150_000)

afterAll(async () => {
  await io.delete(run, { recursive: true }).catch(() => {})
})

describe.each<HdfsDaemon>(['datanode', 'namenode'])('stopping the %s mid-write', (daemon) => {
  it('fails the append with a retryable StorageError, keeps the table at its last good version, and the retry commits every row once', async () => {
    const table = await catalog.createTable(`faults.${daemon}`, { schema })
    const good = await table.append(rows(0, 1_000))
    const goodMetadata = table.metadataLocation
    const big = rows(1_000, 41_000)

    let stopped = false
    io.armMidDataFile(async () => {
      stopped = await stopHdfsDaemon(daemon)
    })
    const error = (await table.append(big).then(
      () => undefined,
      (e: unknown) => e,
    )) as LakeError | undefined
    expect(stopped, `the stack's ${daemon} was not running under this LAKE_STACK_DIR`).toBe(true)
    expect(error, 'the append committed although the daemon was stopped').toBeInstanceOf(StorageError)
    expect(error!.retryable, String(error)).toBe(true)

    await startHdfsDaemon(daemon, process.env, quiet)

    const reloaded = await catalog.loadTable(`faults.${daemon}`)
    expect(reloaded.metadataLocation).toBe(goodMetadata)
    expect(reloaded.currentSnapshot()?.snapshotId).toBe(good.snapshotId)
    expect(await ids(reloaded)).toEqual(range(0, 1_000))

    const retried = await table.append(big)
    expect(retried.parentSnapshotId).toBe(good.snapshotId)
    const final = await catalog.loadTable(`faults.${daemon}`)
    expect(final.snapshots().map((s) => s.snapshotId)).toEqual([good.snapshotId, retried.snapshotId])
    expect(await ids(final)).toEqual(range(0, 41_000))
  })
})

describe('a NameNode restart', () => {
  it('is waited out by a table load: refused connections, startup-mode RetriableExceptions and blocks with no DataNode yet are retried', async () => {
    const created = await catalog.createTable('faults.restart', { schema })
    await created.append(rows(0, 10))
    const retried: string[] = []
    const patient = new WebHdfsFileIO({
      namenodes: [endpoints.namenodeHttp],
      user: 'lake',
      // Enough for a NameNode's JVM to start on a loaded machine (at least 36 s of waiting).
      retry: { retries: 12, minDelayMs: 100, maxDelayMs: 5_000 },
      hooks: {
        log: (event) => {
          const error = event.fields?.error as LakeError | undefined
          if (event.event === 'retry.attempt_failed' && error)
            retried.push(String(error.context.remoteException ?? error.message))
        },
      },
    })
    const reader = new HadoopCatalog({
      warehouse: `${run}/warehouse`,
      io: new ResolvingFileIO({ hdfs: () => patient }),
    })

    expect(await stopHdfsDaemon('namenode')).toBe(true)
    const restarted = startHdfsDaemon('namenode', process.env, quiet)
    const loaded = await reader.loadTable('faults.restart')
    await restarted

    expect(retried.length, 'the load never met the stopped NameNode').toBeGreaterThan(0)
    expect(loaded.metadataLocation).toBe(created.metadataLocation)
    expect(await ids(loaded)).toEqual(range(0, 10))
  })
})
