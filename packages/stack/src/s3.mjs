// A minimal S3-compatible object store as a service of the dev stack: a Node process running
// bin/s3-store.mjs over a local folder. It exists for Trino's spooling protocol, whose file
// system spooling manager (Trino 476) writes segments to S3, GCS or Azure only — not to HDFS
// nor a local path. Trino's coordinator reads the segments back itself and hands them to
// clients (`protocol.spooling.retrieval-mode=coordinator_proxy`), so no client talks to it.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { port, stackDir } from './env.mjs'
import { checkPortsFree, runningPid, startDaemon, stopDaemon, waitUntilHealthy } from './process.mjs'

const HOST = '127.0.0.1'
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 's3-store.mjs')

/** Where the object store listens and keeps its objects, from the environment. */
export function s3Endpoint(env = process.env) {
  const s3Port = port('LAKE_S3_PORT', 9878, env)
  return {
    host: HOST,
    port: s3Port,
    url: `http://${HOST}:${s3Port}`,
    /** One folder per bucket under it; an object's key is its path inside the bucket's folder. */
    root: join(stackDir(env), 's3'),
    /** Any key pair is accepted (requests are not authenticated); these are what Trino is given. */
    accessKey: 'lake',
    secretKey: 'lake-dev-secret',
    region: 'us-east-1',
  }
}

function daemon(env = process.env) {
  const logs = join(stackDir(env), 'logs')
  return {
    name: 's3-store',
    mainClass: 's3-store.mjs',
    pidFile: join(stackDir(env), 'run', 's3-store.pid'),
    logFile: join(logs, 's3-store.log'),
  }
}

/** @type {import('./services.mjs').Service} */
export const s3 = {
  name: 's3',
  describe: () => "A minimal S3-compatible store on a local folder (Trino's spooled result segments)",
  logFiles: (env) => [daemon(env).logFile],

  async up(env = process.env, log = console.error) {
    const endpoint = s3Endpoint(env)
    const process_ = daemon(env)
    if (runningPid(process_)) {
      await waitHealthy(endpoint, process_, 30_000)
      log(`s3: already running (${endpoint.url})`)
      return
    }
    await checkPortsFree([{ name: 'LAKE_S3_PORT', port: endpoint.port }])
    startDaemon(process_, process.execPath, [SCRIPT], { cwd: stackDir(env), env })
    log(`s3: started ${process_.name} (log ${process_.logFile})`)
    await waitHealthy(endpoint, process_, Number(env.LAKE_STACK_TIMEOUT_MS ?? 120_000))
    log(`s3: ready — ${endpoint.url} over ${endpoint.root}`)
  },

  async down(env = process.env, log = console.error) {
    if (await stopDaemon(daemon(env), 5_000)) log('s3: stopped s3-store')
  },

  async status(env = process.env) {
    const endpoint = s3Endpoint(env)
    const pid = runningPid(daemon(env))
    const answer = await probe(endpoint).catch((error) => error)
    return {
      healthy: !(answer instanceof Error),
      lines: [
        `s3-store: ${pid ? `running (pid ${pid})` : 'stopped'}`,
        answer instanceof Error
          ? `${endpoint.url}: not answering (${answer.message})`
          : `${endpoint.url}: answering; objects under ${endpoint.root}`,
      ],
    }
  },
}

/**
 * An object written, read and deleted.
 * @param {ReturnType<typeof s3Endpoint>} endpoint
 */
async function probe(endpoint) {
  const url = `${endpoint.url}/health/probe-${process.pid}`
  const signal = AbortSignal.timeout(5_000)
  const put = await fetch(url, { method: 'PUT', body: 'ok', signal })
  if (!put.ok) throw new Error(`PUT: HTTP ${put.status}`)
  const get = await fetch(url, { signal })
  if ((await get.text()) !== 'ok') throw new Error(`GET: HTTP ${get.status}`)
  const del = await fetch(url, { method: 'DELETE', signal })
  if (del.status !== 204) throw new Error(`DELETE: HTTP ${del.status}`)
}

/**
 * @param {ReturnType<typeof s3Endpoint>} endpoint
 * @param {ReturnType<typeof daemon>} process_
 * @param {number} timeoutMs
 */
function waitHealthy(endpoint, process_, timeoutMs) {
  return waitUntilHealthy({
    what: 'The S3 store',
    daemons: [process_],
    timeoutMs,
    intervalMs: 200,
    probe: () => probe(endpoint),
  })
}
