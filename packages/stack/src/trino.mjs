// Trino for the dev stack: Trino's server with its Iceberg, TPC-H and memory plugins from
// Maven Central, one node that is coordinator and worker, on a Java 24+ runtime. Its `lake`
// catalog is Lake's Iceberg REST endpoint (src/rest.mjs); data files are read over HDFS RPC.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { mavenArtifact } from './download.mjs'
import { cacheDir, port, StackError, stackDir } from './env.mjs'
import { checkPortsFree, runningPid, startDaemon, stopDaemon, waitUntilHealthy } from './process.mjs'
import { restEndpoint } from './rest.mjs'
import { s3Endpoint } from './s3.mjs'

export const TRINO_VERSION = '476'
const HOST = '127.0.0.1'
// `spooling-filesystem`: the spooling manager behind the spooling client protocol.
const PLUGINS = ['iceberg', 'tpch', 'memory', 'spooling-filesystem']
/** Trino 476 is compiled for Java 24. */
const MINIMUM_JAVA = 24

/** Where Trino answers, from the environment (the variables `pnpm stack up` reads). */
export function trinoEndpoint(env = process.env) {
  const httpPort = port('LAKE_TRINO_PORT', 8080, env)
  return {
    port: httpPort,
    /** The coordinator's URL, for clients (`--server`). */
    url: `http://${HOST}:${httpPort}`,
    /** The catalog over Lake's REST endpoint. */
    catalog: 'lake',
  }
}

function layout(env = process.env) {
  const root = join(stackDir(env), 'trino')
  const logs = join(stackDir(env), 'logs')
  return {
    home: join(cacheDir(env), `trino-server-${TRINO_VERSION}`),
    etc: join(root, 'etc'),
    data: join(root, 'data'),
    logs,
    daemon: {
      name: 'trino',
      requires: ['rest', 's3'],
      mainClass: 'io.trino.server.TrinoServer',
      pidFile: join(stackDir(env), 'run', 'trino.pid'),
      logFile: join(logs, 'trino.log'),
    },
  }
}

/**
 * Starts the dev Trino when it is not running and waits until it is healthy (a query reads a table);
 * idempotent. Tests that restart Trino call it after {@link stopTrino}.
 * @param {NodeJS.ProcessEnv} [env]
 * @param {(message: string) => void} [log]
 */
export async function startTrino(env = process.env, log = console.error) {
  const paths = layout(env)
  const endpoint = trinoEndpoint(env)
  const java = findTrinoJava(env)
  if (runningPid(paths.daemon)) {
    await waitHealthy(endpoint, paths, 60_000)
    log(`trino: already running (${endpoint.url})`)
    return
  }
  await checkPortsFree([{ name: 'LAKE_TRINO_PORT', port: endpoint.port }])
  await install(paths.home, env, log)
  writeConfig(paths, endpoint, env)
  startDaemon(
    paths.daemon,
    java,
    [
      ...jvmOptions(),
      `-Dconfig=${join(paths.etc, 'config.properties')}`,
      `-Dlog.levels-file=${join(paths.etc, 'log.properties')}`,
      '-cp',
      join(paths.home, 'lib', '*'),
      paths.daemon.mainClass,
    ],
    { cwd: paths.data, env },
  )
  log(`trino: started (log ${paths.daemon.logFile}); the first start takes a minute`)
  await waitHealthy(endpoint, paths, Number(env.LAKE_TRINO_TIMEOUT_MS ?? 240_000))
  log(`trino: ready — ${endpoint.url}, catalog ${endpoint.catalog}`)
}

/**
 * Stops the dev Trino if the stack started it (SIGTERM: Trino's graceful shutdown); its
 * configuration and data stay.
 * @param {NodeJS.ProcessEnv} [env]
 * @param {(message: string) => void} [log]
 * @returns {Promise<boolean>} whether a process was stopped
 */
export async function stopTrino(env = process.env, log = console.error) {
  const stopped = await stopDaemon(layout(env).daemon, 30_000)
  if (stopped) log('trino: stopped')
  return stopped
}

/** @type {import('./services.mjs').Service} */
export const trino = {
  name: 'trino',
  requires: ['rest', 's3'],
  describe: () => `Trino ${TRINO_VERSION} (coordinator + worker; catalogs lake, tpch, memory)`,
  logFiles: (env) => [layout(env).daemon.logFile, join(layout(env).logs, 'trino-server.log')],

  up: (env = process.env, log = console.error) => startTrino(env, log),

  async down(env = process.env, log = console.error) {
    await stopTrino(env, log)
  },

  async status(env = process.env) {
    const paths = layout(env)
    const endpoint = trinoEndpoint(env)
    const pid = runningPid(paths.daemon)
    const answer = await runQuery(endpoint, 'SELECT 1', 5_000).catch((error) => error)
    return {
      healthy: !(answer instanceof Error),
      lines: [
        `trino: ${pid ? `running (pid ${pid})` : 'stopped'}`,
        answer instanceof Error
          ? `${endpoint.url}: not answering (${answer.message})`
          : `${endpoint.url}: answering SELECT 1`,
      ],
    }
  },
}

/**
 * A Java 24+ runtime for Trino: `LAKE_TRINO_JAVA`, else `JAVA_HOME` when new enough, else the
 * newest JDK under /usr/lib/jvm (where Debian and Temurin packages install).
 * @param {NodeJS.ProcessEnv} env
 */
function findTrinoJava(env) {
  const candidates = []
  if (env.LAKE_TRINO_JAVA) candidates.push(env.LAKE_TRINO_JAVA)
  if (env.JAVA_HOME) candidates.push(join(env.JAVA_HOME, 'bin', 'java'))
  if (existsSync('/usr/lib/jvm')) {
    for (const name of readdirSync('/usr/lib/jvm')) candidates.push(join('/usr/lib/jvm', name, 'bin', 'java'))
  }
  candidates.push('java')
  let best = { path: '', version: 0 }
  for (const path of candidates) {
    const version = javaVersion(path)
    if (path === env.LAKE_TRINO_JAVA && version < MINIMUM_JAVA) {
      throw new StackError(
        `LAKE_TRINO_JAVA=${path} is Java ${version || '?'}; Trino ${TRINO_VERSION} needs ${MINIMUM_JAVA}+.`,
      )
    }
    if (version >= MINIMUM_JAVA && version > best.version) best = { path, version }
    if (best.version > 0 && path === env.LAKE_TRINO_JAVA) break
  }
  if (!best.path) {
    throw new StackError(
      `Trino ${TRINO_VERSION} needs Java ${MINIMUM_JAVA}+, and none was found (LAKE_TRINO_JAVA, JAVA_HOME, /usr/lib/jvm, PATH). ` +
        'Install one (e.g. Temurin 25) or set LAKE_TRINO_JAVA to its bin/java.',
    )
  }
  return best.path
}

/** @param {string} path */
function javaVersion(path) {
  const result = spawnSync(path, ['-XshowSettings:properties', '-version'], { encoding: 'utf8' })
  if (result.error || result.status !== 0) return 0
  const match = /java\.specification\.version = (\d+)/.exec(result.stderr)
  return match ? Number(match[1]) : 0
}

/**
 * Unpacks Trino's server, once, into the cache: its `lib/` and the plugins the stack uses. The
 * whole `trino-server` archive is fetched because only it carries the Iceberg plugin's `hdfs/`
 * folder (the Hadoop file system behind `fs.hadoop.enabled`); the `trino-iceberg` zip on Maven
 * Central does not. A half-done unpack is never used: it happens beside and is renamed at the end.
 * @param {string} home
 * @param {NodeJS.ProcessEnv} env
 * @param {(message: string) => void} log
 */
async function install(home, env, log) {
  if (existsSync(join(home, '.complete'))) {
    await addMissingPlugins(home, env, log)
    return
  }
  const coordinates = {
    group: 'io.trino',
    artifact: 'trino-server',
    version: TRINO_VERSION,
    extension: 'tar.gz',
  }
  const archive = await mavenArtifact(coordinates, env, log)
  log(`trino: unpacking into ${home}`)
  const staging = `${home}.unpacking`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  // Whole: the plugins share jars as hard links, so members cannot be picked one by one.
  run('tar', ['xzf', archive, '-C', staging, '--strip-components=1'])
  for (const name of readdirSync(join(staging, 'plugin'))) {
    if (!PLUGINS.includes(name)) rmSync(join(staging, 'plugin', name), { recursive: true, force: true })
  }
  writeFileSync(join(staging, '.complete'), `${new Date().toISOString()}\n`)
  rmSync(home, { recursive: true, force: true })
  renameSync(staging, home)
}

/**
 * Adds to an install the plugins of {@link PLUGINS} it lacks (an install made when the list was
 * shorter), without touching the rest: a running Trino may be using it. The archive is unpacked
 * beside, whole (its plugins share jars as hard links), and the missing folders moved in.
 * @param {string} home
 * @param {NodeJS.ProcessEnv} env
 * @param {(message: string) => void} log
 */
async function addMissingPlugins(home, env, log) {
  const missing = PLUGINS.filter((name) => !existsSync(join(home, 'plugin', name)))
  if (missing.length === 0) return
  const archive = await mavenArtifact(
    { group: 'io.trino', artifact: 'trino-server', version: TRINO_VERSION, extension: 'tar.gz' },
    env,
    log,
  )
  log(`trino: adding the plugins ${missing.join(', ')} to ${home}`)
  const staging = `${home}.plugins`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  run('tar', ['xzf', archive, '-C', staging, '--strip-components=1'])
  for (const name of missing) renameSync(join(staging, 'plugin', name), join(home, 'plugin', name))
  rmSync(staging, { recursive: true, force: true })
}

/**
 * @param {string} command
 * @param {string[]} args
 */
function run(command, args) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
  if (result.error || result.status !== 0) {
    throw new StackError(
      `${command} ${args.join(' ')} failed: ${result.error?.message ?? result.stderr.trim()}`,
    )
  }
}

/** The JVM settings Trino's documentation asks for, sized for a small dev machine. */
function jvmOptions() {
  return [
    '-Xmx2G',
    '-XX:+UseG1GC',
    '-XX:G1HeapRegionSize=32M',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:+ExitOnOutOfMemoryError',
    '-XX:-OmitStackTraceInFastThrow',
    '-XX:ReservedCodeCacheSize=256M',
    '-XX:PerMethodRecompilationCutoff=10000',
    '-XX:PerBytecodeRecompilationCutoff=10000',
    '-XX:+EnableDynamicAgentLoading',
    '-Djdk.attach.allowAttachSelf=true',
    '-Djdk.nio.maxCachedBufferSize=2000000',
    '-Dfile.encoding=UTF-8',
  ]
}

/**
 * Writes `etc/` on every `up`: the node, a small-memory single-node coordinator that also
 * schedules work, and the catalogs.
 * @param {ReturnType<typeof layout>} paths
 * @param {ReturnType<typeof trinoEndpoint>} endpoint
 * @param {NodeJS.ProcessEnv} env
 */
function writeConfig(paths, endpoint, env) {
  const catalogs = join(paths.etc, 'catalog')
  for (const dir of [paths.etc, catalogs, paths.data, paths.logs]) mkdirSync(dir, { recursive: true })
  const rest = restEndpoint(env)
  writeProperties(join(paths.etc, 'config.properties'), {
    'node.environment': 'lake_dev',
    'node.id': 'lake-dev-1',
    'plugin.dir': join(paths.home, 'plugin'),
    'catalog.config-dir': catalogs,
    coordinator: 'true',
    'node-scheduler.include-coordinator': 'true',
    // Once started, Trino logs here (with rotation), not to stdout.
    'log.path': join(paths.logs, 'trino-server.log'),
    'http-server.http.port': String(endpoint.port),
    'discovery.uri': endpoint.url,
    'query.max-memory': '1GB',
    'query.max-memory-per-node': '1GB',
    'memory.heap-headroom-per-node': '512MB',
    // Two cores: a handful of drivers, not one per hyperthread of a big server.
    'task.concurrency': '2',
    'task.max-worker-threads': '8',
    // The spooling client protocol, for clients that ask for it (`X-Trino-Query-Data-Encoding`);
    // others get the direct protocol's inline JSON as before. Segments go to the stack's S3
    // store; clients fetch them through the coordinator, which reads the store itself.
    'protocol.spooling.enabled': 'true',
    'protocol.spooling.shared-secret-key': sharedSecretKey(paths),
    'protocol.spooling.retrieval-mode': 'coordinator_proxy',
  })
  const s3 = s3Endpoint(env)
  // Trino reads this file from `etc/` under its working directory (paths.data), nowhere else.
  mkdirSync(join(paths.data, 'etc'), { recursive: true })
  writeProperties(join(paths.data, 'etc', 'spooling-manager.properties'), {
    'spooling-manager.name': 'filesystem',
    // Trino 476's file system spooling manager writes to S3, GCS or Azure only.
    'fs.s3.enabled': 'true',
    'fs.location': 's3://spooling/',
    's3.endpoint': s3.url,
    's3.region': s3.region,
    's3.path-style-access': 'true',
    's3.aws-access-key': s3.accessKey,
    's3.aws-secret-key': s3.secretKey,
    // SSE-C needs HTTPS; the store is on the loopback and its folder is the stack's.
    'fs.segment.encryption': 'false',
  })
  writeProperties(join(paths.etc, 'log.properties'), {
    'io.trino': 'INFO',
    'io.trino.server.PluginManager': 'WARN',
    'org.apache.hadoop': 'WARN',
  })
  writeProperties(join(catalogs, 'lake.properties'), {
    'connector.name': 'iceberg',
    'iceberg.catalog.type': 'rest',
    'iceberg.rest-catalog.uri': rest.url,
    'iceberg.rest-catalog.warehouse': rest.warehouse,
    'iceberg.rest-catalog.security': 'OAUTH2',
    'iceberg.rest-catalog.oauth2.token': rest.token,
    // Tables Trino creates live where the catalog puts them, under the namespace's folder,
    // exactly as the Hadoop catalog's layout requires.
    'iceberg.unique-table-location': 'false',
    'fs.hadoop.enabled': 'true',
  })
  writeProperties(join(catalogs, 'tpch.properties'), { 'connector.name': 'tpch' })
  writeProperties(join(catalogs, 'memory.properties'), { 'connector.name': 'memory' })
}

/**
 * The key that signs the segment ids handed to clients: 256 random bits, base64, made once and
 * kept in the stack's data dir, so it stays the same across restarts.
 * @param {ReturnType<typeof layout>} paths
 */
function sharedSecretKey(paths) {
  const file = join(paths.data, 'spooling-secret-key')
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
  return readFileSync(file, 'utf8').trim()
}

/**
 * @param {string} file
 * @param {Record<string, string>} properties
 */
function writeProperties(file, properties) {
  const body = Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')
  writeFileSync(file, `# Written by pnpm stack up; edits are overwritten.\n${body}\n`)
}

/**
 * Runs one statement through Trino's client protocol to the end; fails on a query error.
 * @param {ReturnType<typeof trinoEndpoint>} endpoint
 * @param {string} sql
 * @param {number} timeoutMs
 * @returns {Promise<unknown[][]>} the rows
 */
export async function runQuery(endpoint, sql, timeoutMs = 60_000) {
  const signal = AbortSignal.timeout(timeoutMs)
  const headers = { 'X-Trino-User': 'lake', 'X-Trino-Source': 'lake-stack' }
  let response = await fetch(`${endpoint.url}/v1/statement`, { method: 'POST', body: sql, headers, signal })
  const rows = []
  for (;;) {
    if (!response.ok) throw new Error(`HTTP ${response.status} ${(await response.text()).slice(0, 200)}`)
    const page = /** @type {{ nextUri?: string, data?: unknown[][], error?: { message: string } }} */ (
      await response.json()
    )
    if (page.error) throw new Error(page.error.message)
    if (page.data) rows.push(...page.data)
    if (!page.nextUri) return rows
    response = await fetch(page.nextUri, { headers, signal })
  }
}

/**
 * Healthy means the coordinator has started (it answers 503 until then) and a query that reads
 * a table runs.
 * @param {ReturnType<typeof trinoEndpoint>} endpoint
 * @param {ReturnType<typeof layout>} paths
 * @param {number} timeoutMs
 */
function waitHealthy(endpoint, paths, timeoutMs) {
  return waitUntilHealthy({
    what: 'Trino',
    daemons: [paths.daemon],
    timeoutMs,
    intervalMs: 500,
    logLines: 20,
    probe: async () => {
      const info = await fetch(`${endpoint.url}/v1/info`, { signal: AbortSignal.timeout(5_000) })
      const body = /** @type {{ starting?: boolean }} */ (await info.json())
      if (body.starting !== false) throw new Error('still starting')
      // Not `SELECT 1`: that runs on the coordinator alone, and answers while queries that
      // read a table still fail with "No nodes available" until the worker has announced itself.
      await runQuery(endpoint, 'SELECT count(*) FROM tpch.tiny.region', 30_000)
    },
  })
}
