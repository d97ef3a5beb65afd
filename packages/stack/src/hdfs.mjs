// HDFS for the dev stack: one NameNode and one DataNode of Apache Hadoop, assembled from the
// jars on Maven Central (no Hadoop distribution), with our own configuration, on 127.0.0.1.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mavenRuntimeJars } from './download.mjs'
import { cacheDir, port, StackError, stackDir } from './env.mjs'
import {
  checkPortsFree,
  findJava,
  runningPid,
  startDaemon,
  stopDaemon,
  waitUntilHealthy,
} from './process.mjs'

export const HADOOP_VERSION = '3.4.3'
const HOST = '127.0.0.1'
const POM = join(dirname(fileURLToPath(import.meta.url)), '..', 'java', 'hdfs', 'pom.xml')

/** Hadoop reflects into these JDK internals; Java 17 refuses without them. */
const ADD_OPENS = [
  'java.base/java.lang',
  'java.base/java.lang.reflect',
  'java.base/java.io',
  'java.base/java.net',
  'java.base/java.nio',
  'java.base/java.util',
  'java.base/java.util.concurrent',
  'java.base/sun.nio.ch',
  'java.base/sun.net.dns',
  'java.base/sun.net.util',
  'java.security.jgss/sun.security.krb5',
].map((module) => `--add-opens=${module}=ALL-UNNAMED`)

/**
 * The addresses of the dev HDFS, from the environment (the same variables `pnpm stack up`
 * reads), so tests and benchmarks find the stack that was started.
 */
export function hdfsEndpoints(env = process.env) {
  const ports = {
    namenodeRpc: port('LAKE_HDFS_NAMENODE_RPC_PORT', 8020, env),
    namenodeHttp: port('LAKE_HDFS_NAMENODE_HTTP_PORT', 9870, env),
    datanode: port('LAKE_HDFS_DATANODE_PORT', 9866, env),
    datanodeHttp: port('LAKE_HDFS_DATANODE_HTTP_PORT', 9864, env),
    datanodeIpc: port('LAKE_HDFS_DATANODE_IPC_PORT', 9867, env),
  }
  return {
    ports,
    /** The file system URI that table metadata records. */
    fsUri: `hdfs://${HOST}:${ports.namenodeRpc}`,
    /** The NameNode's HTTP address, WebHDFS's entry point. */
    namenodeHttp: `http://${HOST}:${ports.namenodeHttp}`,
  }
}

function layout(env = process.env) {
  const root = join(stackDir(env), 'hdfs')
  const logs = join(stackDir(env), 'logs')
  const run = join(stackDir(env), 'run')
  return {
    home: join(cacheDir(env), `hadoop-${HADOOP_VERSION}`),
    conf: join(root, 'conf'),
    name: join(root, 'name'),
    data: join(root, 'data'),
    tmp: join(root, 'tmp'),
    logs,
    daemons: {
      namenode: {
        name: 'hdfs-namenode',
        mainClass: 'org.apache.hadoop.hdfs.server.namenode.NameNode',
        pidFile: join(run, 'hdfs-namenode.pid'),
        logFile: join(logs, 'hdfs-namenode.log'),
      },
      datanode: {
        name: 'hdfs-datanode',
        mainClass: 'org.apache.hadoop.hdfs.server.datanode.DataNode',
        pidFile: join(run, 'hdfs-datanode.pid'),
        logFile: join(logs, 'hdfs-datanode.log'),
      },
    },
  }
}

/** @type {import('./services.mjs').Service} */
export const hdfs = {
  name: 'hdfs',
  describe: () => `HDFS ${HADOOP_VERSION} (NameNode + DataNode, WebHDFS)`,
  logFiles: (env) => Object.values(layout(env).daemons).map((daemon) => daemon.logFile),

  async up(env = process.env, log = console.error) {
    const paths = layout(env)
    const endpoints = hdfsEndpoints(env)
    const java = findJava(17, env)
    const running = {
      namenode: runningPid(paths.daemons.namenode),
      datanode: runningPid(paths.daemons.datanode),
    }
    if (running.namenode && running.datanode) {
      await waitHealthy(endpoints, paths, 60_000)
      log(`hdfs: already running (${endpoints.namenodeHttp})`)
      return
    }
    const stopped = DAEMONS.filter((key) => !running[key])
    await checkPortsFree(portsToCheck(endpoints, stopped))
    fetchJars(paths.home, env, log)
    writeConfig(paths, endpoints)
    if (!existsSync(join(paths.name, 'current', 'VERSION'))) format(java.path, paths, log)
    for (const key of stopped) launch(key, java.path, paths, env, log)
    await waitHealthy(endpoints, paths, Number(env.LAKE_STACK_TIMEOUT_MS ?? 120_000))
    log(`hdfs: ready — WebHDFS ${endpoints.namenodeHttp}/webhdfs/v1, fs ${endpoints.fsUri}`)
  },

  async down(env = process.env, log = console.error) {
    const paths = layout(env)
    // The DataNode first, so the NameNode does not log it as lost.
    for (const daemon of [paths.daemons.datanode, paths.daemons.namenode]) {
      if (await stopDaemon(daemon)) log(`hdfs: stopped ${daemon.name}`)
    }
  },

  async status(env = process.env) {
    const paths = layout(env)
    const endpoints = hdfsEndpoints(env)
    const lines = []
    for (const daemon of Object.values(paths.daemons)) {
      const pid = runningPid(daemon)
      lines.push(`${daemon.name}: ${pid ? `running (pid ${pid})` : 'stopped'}`)
    }
    const root = await getFileStatus(endpoints, '/').catch((error) => error)
    lines.push(
      root instanceof Error
        ? `webhdfs ${endpoints.namenodeHttp}: not answering (${root.message})`
        : `webhdfs ${endpoints.namenodeHttp}: answering; fs ${endpoints.fsUri}`,
    )
    return { healthy: !(root instanceof Error), lines }
  },
}

/**
 * Stops one daemon of a running dev HDFS, as a fault would; {@link startHdfsDaemon} brings it
 * back. For tests of how Lake behaves when the NameNode or the DataNode goes away.
 * @param {HdfsDaemon} which
 * @returns {Promise<boolean>} whether it was running
 */
export function stopHdfsDaemon(which, env = process.env) {
  return stopDaemon(layout(env).daemons[which])
}

/**
 * Starts one daemon of the dev HDFS again, with the configuration `up` wrote, and waits until
 * HDFS is healthy (both daemons running, a file written through the DataNode). Does nothing
 * but wait when it runs already.
 * @param {HdfsDaemon} which
 */
export async function startHdfsDaemon(which, env = process.env, log = console.error) {
  const paths = layout(env)
  const endpoints = hdfsEndpoints(env)
  if (!existsSync(join(paths.name, 'current', 'VERSION'))) {
    throw new StackError('HDFS was never started here. Run `pnpm stack up hdfs` first.')
  }
  if (!runningPid(paths.daemons[which])) {
    await checkPortsFree(portsToCheck(endpoints, [which]))
    launch(which, findJava(17, env).path, paths, env, log)
  }
  await waitHealthy(endpoints, paths, Number(env.LAKE_STACK_TIMEOUT_MS ?? 120_000))
}

/**
 * How to run a Java class as a client of the dev HDFS, as `hdfs dfs` would: the stack's Java,
 * Hadoop's jars and the configuration `up` wrote (so `fs.defaultFS` is the stack's). For
 * benchmarks that compare Lake with Hadoop's own client.
 * @param {string[]} [extraClasspath] entries before Hadoop's jars
 * @returns {{ java: string, jvmArgs: string[], classpath: string[] }}
 */
export function hdfsJavaClient(extraClasspath = [], env = process.env) {
  const paths = layout(env)
  return {
    java: findJava(17, env).path,
    jvmArgs: [...ADD_OPENS, `-Dhadoop.home.dir=${paths.home}`],
    classpath: [paths.conf, ...extraClasspath, join(paths.home, 'lib', '*')],
  }
}

/** @typedef {'namenode' | 'datanode'} HdfsDaemon */

/** In start order: the DataNode registers with the NameNode. */
const DAEMONS = /** @type {const} */ (['namenode', 'datanode'])

/**
 * Spawns one daemon detached, on the configuration in `paths.conf`.
 * @param {HdfsDaemon} key
 * @param {string} java
 * @param {ReturnType<typeof layout>} paths
 * @param {NodeJS.ProcessEnv} env
 * @param {(message: string) => void} log
 */
function launch(key, java, paths, env, log) {
  const daemon = paths.daemons[key]
  const heap = key === 'namenode' ? '-Xmx512m' : '-Xmx384m'
  startDaemon(
    daemon,
    java,
    [
      heap,
      ...ADD_OPENS,
      `-Dhadoop.log.dir=${paths.logs}`,
      `-Dhadoop.home.dir=${paths.home}`,
      '-cp',
      `${paths.conf}:${paths.home}:${join(paths.home, 'lib', '*')}`,
      daemon.mainClass,
    ],
    { cwd: paths.tmp, env: { ...env, HADOOP_CONF_DIR: paths.conf } },
  )
  log(`hdfs: started ${daemon.name} (log ${daemon.logFile})`)
}

/**
 * The ports to find free before starting some daemons: a running daemon's own ports are its,
 * not a clash.
 * @param {ReturnType<typeof hdfsEndpoints>} endpoints
 * @param {readonly HdfsDaemon[]} starting
 */
function portsToCheck(endpoints, starting) {
  const { ports } = endpoints
  const namenode = [
    { name: 'LAKE_HDFS_NAMENODE_RPC_PORT', port: ports.namenodeRpc },
    { name: 'LAKE_HDFS_NAMENODE_HTTP_PORT', port: ports.namenodeHttp },
  ]
  const datanode = [
    { name: 'LAKE_HDFS_DATANODE_PORT', port: ports.datanode },
    { name: 'LAKE_HDFS_DATANODE_HTTP_PORT', port: ports.datanodeHttp },
    { name: 'LAKE_HDFS_DATANODE_IPC_PORT', port: ports.datanodeIpc },
  ]
  return [
    ...(starting.includes('namenode') ? namenode : []),
    ...(starting.includes('datanode') ? datanode : []),
  ]
}

/**
 * Copies hadoop-hdfs, hadoop-hdfs-client, hadoop-common, hadoop-auth and their runtime
 * dependencies from Maven Central (through ~/.m2) into the cache, once.
 * @param {string} home
 * @param {NodeJS.ProcessEnv} env
 * @param {(message: string) => void} log
 */
function fetchJars(home, env, log) {
  mavenRuntimeJars(
    {
      service: 'hdfs',
      what: `Hadoop ${HADOOP_VERSION}`,
      pom: POM,
      properties: { 'hadoop.version': HADOOP_VERSION },
      home,
    },
    env,
    log,
  )
  // The NameNode's and DataNode's HTTP servers look up `webapps/<name>` on the classpath; a
  // Hadoop distribution ships them as folders beside the jars, Maven Central does not.
  for (const name of ['hdfs', 'datanode', 'secondary']) {
    const dir = join(home, 'webapps', name, 'WEB-INF')
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      join(dir, 'web.xml'),
      '<?xml version="1.0"?>\n<web-app xmlns="http://java.sun.com/xml/ns/javaee" version="3.0"/>\n',
    )
  }
  mkdirSync(join(home, 'webapps', 'static'), { recursive: true })
}

/**
 * @param {ReturnType<typeof layout>} paths
 * @param {ReturnType<typeof hdfsEndpoints>} endpoints
 */
function writeConfig(paths, endpoints) {
  for (const dir of [paths.conf, paths.tmp, paths.logs]) mkdirSync(dir, { recursive: true })
  const { ports } = endpoints
  writeFileSync(
    join(paths.conf, 'core-site.xml'),
    siteXml({
      'fs.defaultFS': endpoints.fsUri,
      'hadoop.tmp.dir': paths.tmp,
      'hadoop.http.staticuser.user': 'lake',
    }),
  )
  writeFileSync(
    join(paths.conf, 'hdfs-site.xml'),
    siteXml({
      'dfs.replication': '1',
      'dfs.namenode.name.dir': paths.name,
      'dfs.datanode.data.dir': paths.data,
      'dfs.namenode.rpc-address': `${HOST}:${ports.namenodeRpc}`,
      'dfs.namenode.http-address': `${HOST}:${ports.namenodeHttp}`,
      'dfs.namenode.secondary.http-address': `${HOST}:0`,
      'dfs.datanode.address': `${HOST}:${ports.datanode}`,
      'dfs.datanode.http.address': `${HOST}:${ports.datanodeHttp}`,
      'dfs.datanode.ipc.address': `${HOST}:${ports.datanodeIpc}`,
      // WebHDFS redirects reads and writes to the DataNode by this name.
      'dfs.datanode.hostname': HOST,
      'dfs.datanode.use.datanode.hostname': 'true',
      'dfs.client.use.datanode.hostname': 'true',
      'dfs.namenode.datanode.registration.ip-hostname-check': 'false',
      'dfs.webhdfs.enabled': 'true',
      'dfs.permissions.enabled': 'false',
      // Leave safe mode at once: one DataNode, one replica, a dev cluster.
      'dfs.namenode.safemode.threshold-pct': '0',
      'dfs.namenode.safemode.extension': '0',
      'dfs.namenode.safemode.min.datanodes': '0',
      'dfs.namenode.heartbeat.recheck-interval': '10000',
      'dfs.heartbeat.interval': '1',
      'dfs.blockreport.initialDelay': '0',
      // The DataNode's own client waits this long before asking again whether a block is
      // complete; at the default 400 ms every small file (each metadata write) took ~0.5 s.
      'dfs.client.block.write.locateFollowingBlock.initial.delay.ms': '10',
      'dfs.datanode.max.transfer.threads': '1024',
      'dfs.namenode.handler.count': '20',
    }),
  )
  writeFileSync(
    join(paths.conf, 'log4j.properties'),
    [
      'log4j.rootLogger=INFO,console',
      'log4j.appender.console=org.apache.log4j.ConsoleAppender',
      'log4j.appender.console.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.console.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n',
      'log4j.logger.org.apache.hadoop.hdfs.StateChange=WARN',
      'log4j.logger.org.apache.hadoop.hdfs.server.namenode.FSNamesystem.audit=WARN',
      'log4j.logger.org.apache.hadoop.util.NativeCodeLoader=ERROR',
      '',
    ].join('\n'),
  )
}

/** @param {Record<string, string>} properties */
function siteXml(properties) {
  const escapeXml = (/** @type {string} */ s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const body = Object.entries(properties)
    .map(([name, value]) => `  <property><name>${name}</name><value>${escapeXml(value)}</value></property>`)
    .join('\n')
  return `<?xml version="1.0"?>\n<!-- Written by pnpm stack up; edits are overwritten. -->\n<configuration>\n${body}\n</configuration>\n`
}

/**
 * Formats the NameNode once. A DataNode directory left from an earlier format belongs to
 * another cluster id and would be refused, so it goes too.
 * @param {string} java
 * @param {ReturnType<typeof layout>} paths
 * @param {(message: string) => void} log
 */
function format(java, paths, log) {
  log('hdfs: formatting the NameNode')
  rmSync(paths.name, { recursive: true, force: true })
  rmSync(paths.data, { recursive: true, force: true })
  const result = spawnSync(
    java,
    [
      ...ADD_OPENS,
      '-cp',
      `${paths.conf}:${paths.home}:${join(paths.home, 'lib', '*')}`,
      paths.daemons.namenode.mainClass,
      '-format',
      '-nonInteractive',
      '-force',
      '-clusterid',
      'lake-dev',
    ],
    { cwd: paths.tmp, encoding: 'utf8', env: { ...process.env, HADOOP_CONF_DIR: paths.conf } },
  )
  writeFileSync(join(paths.logs, 'hdfs-format.log'), `${result.stdout}${result.stderr}`)
  if (result.status !== 0) {
    rmSync(paths.name, { recursive: true, force: true })
    throw new StackError(`Formatting the NameNode failed; see ${join(paths.logs, 'hdfs-format.log')}`)
  }
}

/**
 * @param {ReturnType<typeof hdfsEndpoints>} endpoints
 * @param {string} path
 */
async function getFileStatus(endpoints, path) {
  const response = await fetch(
    `${endpoints.namenodeHttp}/webhdfs/v1${path}?op=GETFILESTATUS&user.name=lake`,
    {
      signal: AbortSignal.timeout(5_000),
    },
  )
  if (!response.ok) throw new Error(`GETFILESTATUS ${path}: HTTP ${response.status}`)
  return response.json()
}

/**
 * A write through the NameNode's redirect to the DataNode, then its removal: the cluster
 * takes data, not only answers.
 * @param {ReturnType<typeof hdfsEndpoints>} endpoints
 */
async function testWrite(endpoints) {
  const path = `/tmp/.lake-stack-health-${process.pid}-${Date.now()}`
  const base = `${endpoints.namenodeHttp}/webhdfs/v1${path}`
  const signal = AbortSignal.timeout(10_000)
  const redirect = await fetch(`${base}?op=CREATE&overwrite=true&user.name=lake`, {
    method: 'PUT',
    redirect: 'manual',
    signal,
  })
  const location = redirect.headers.get('location')
  await redirect.body?.cancel()
  if (redirect.status !== 307 || !location) throw new Error(`CREATE ${path}: HTTP ${redirect.status}`)
  // Node's fetch cannot take this answer: the DataNode sends `100 Continue` unasked, which
  // undici refuses; node:http skips it (docs/decisions/0002-webhdfs-client.md).
  const status = await new Promise((resolve, reject) => {
    const request = httpRequest(location, { method: 'PUT', signal }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode))
    })
    request.on('error', reject)
    request.end('ok')
  })
  if (status !== 201) throw new Error(`CREATE ${path} on the DataNode: HTTP ${status}`)
  const deleted = await fetch(`${base}?op=DELETE&user.name=lake`, { method: 'DELETE', signal })
  await deleted.body?.cancel()
}

/**
 * Healthy means the NameNode answers and a file can be written through a DataNode.
 * @param {ReturnType<typeof hdfsEndpoints>} endpoints
 * @param {ReturnType<typeof layout>} paths
 * @param {number} timeoutMs
 */
function waitHealthy(endpoints, paths, timeoutMs) {
  return waitUntilHealthy({
    what: 'HDFS',
    daemons: Object.values(paths.daemons),
    timeoutMs,
    probe: async () => {
      await getFileStatus(endpoints, '/')
      await testWrite(endpoints)
    },
  })
}
