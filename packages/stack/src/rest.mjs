// Lake's Iceberg REST catalog endpoint as a service of the dev stack: a Node process running
// bin/rest-catalog.mjs over a Hadoop-catalog warehouse on the stack's HDFS. Trino's `lake`
// catalog points at it.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { port, StackError, stackDir } from './env.mjs'
import { hdfsEndpoints } from './hdfs.mjs'
import { checkPortsFree, runningPid, startDaemon, stopDaemon, waitUntilHealthy } from './process.mjs'

const HOST = '127.0.0.1'
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'rest-catalog.mjs')
const CATALOG_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'catalog', 'dist', 'index.js')

/**
 * Where the REST catalog listens, what it serves and the token clients present, from the
 * environment (the same variables `pnpm stack up` reads).
 */
export function restEndpoint(env = process.env) {
  const hdfs = hdfsEndpoints(env)
  const restPort = port('LAKE_REST_PORT', 8181, env)
  return {
    host: HOST,
    port: restPort,
    /** The catalog `uri` clients are given. */
    url: `http://${HOST}:${restPort}`,
    /** The warehouse root: table locations are under it, as `hdfs://` URIs. */
    warehouse: env.LAKE_WAREHOUSE ?? `${hdfs.fsUri}/warehouse`,
    /** The bearer token every request must carry. */
    token: env.LAKE_REST_TOKEN ?? 'lake-dev-token',
    /** WebHDFS, through which the endpoint reads and writes metadata. */
    namenodeHttp: hdfs.namenodeHttp,
    user: env.LAKE_HDFS_USER ?? 'lake',
  }
}

function daemon(env = process.env) {
  const logs = join(stackDir(env), 'logs')
  return {
    name: 'rest-catalog',
    mainClass: 'rest-catalog.mjs',
    pidFile: join(stackDir(env), 'run', 'rest-catalog.pid'),
    logFile: join(logs, 'rest-catalog.log'),
  }
}

/** @type {import('./services.mjs').Service} */
export const rest = {
  name: 'rest',
  requires: ['hdfs'],
  describe: () => "Lake's Iceberg REST catalog over the HDFS warehouse",
  logFiles: (env) => [daemon(env).logFile],

  async up(env = process.env, log = console.error) {
    const endpoint = restEndpoint(env)
    const process_ = daemon(env)
    if (runningPid(process_)) {
      await waitHealthy(endpoint, process_, 30_000)
      log(`rest: already running (${endpoint.url})`)
      return
    }
    if (!existsSync(CATALOG_DIST)) {
      throw new StackError('@lake/catalog is not built; run `pnpm run build` (or `pnpm bootstrap`) first.')
    }
    await checkPortsFree([{ name: 'LAKE_REST_PORT', port: endpoint.port }])
    startDaemon(process_, process.execPath, [SCRIPT], { cwd: stackDir(env), env })
    log(`rest: started ${process_.name} (log ${process_.logFile})`)
    await waitHealthy(endpoint, process_, Number(env.LAKE_STACK_TIMEOUT_MS ?? 120_000))
    log(`rest: ready — ${endpoint.url} serving ${endpoint.warehouse}`)
  },

  async down(env = process.env, log = console.error) {
    if (await stopDaemon(daemon(env), 5_000)) log('rest: stopped rest-catalog')
  },

  async status(env = process.env) {
    const endpoint = restEndpoint(env)
    const pid = runningPid(daemon(env))
    const answer = await getConfig(endpoint).catch((error) => error)
    return {
      healthy: !(answer instanceof Error),
      lines: [
        `rest-catalog: ${pid ? `running (pid ${pid})` : 'stopped'}`,
        answer instanceof Error
          ? `${endpoint.url}: not answering (${answer.message})`
          : `${endpoint.url}: answering; warehouse ${endpoint.warehouse}`,
      ],
    }
  },
}

/**
 * `GET /v1/config` with the token, then a namespace listing: the endpoint answers and reaches
 * its warehouse on HDFS.
 * @param {ReturnType<typeof restEndpoint>} endpoint
 */
async function getConfig(endpoint) {
  const headers = { authorization: `Bearer ${endpoint.token}` }
  const signal = AbortSignal.timeout(5_000)
  for (const path of ['/v1/config', '/v1/namespaces']) {
    const response = await fetch(`${endpoint.url}${path}`, { headers, signal })
    const body = await response.text()
    if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${body.slice(0, 200)}`)
  }
}

/**
 * @param {ReturnType<typeof restEndpoint>} endpoint
 * @param {ReturnType<typeof daemon>} process_
 * @param {number} timeoutMs
 */
function waitHealthy(endpoint, process_, timeoutMs) {
  return waitUntilHealthy({
    what: 'The REST catalog',
    daemons: [process_],
    timeoutMs,
    intervalMs: 200,
    probe: async () => {
      await getConfig(endpoint)
    },
  })
}
