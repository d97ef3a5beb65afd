// Kafka for the dev stack: one Apache Kafka node in KRaft mode (broker and controller in one
// process), assembled from the jars on Maven Central (no Kafka distribution), with our own
// configuration, on 127.0.0.1.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Kafka, logLevel } from 'kafkajs'
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

export const KAFKA_VERSION = '4.4.0'
const HOST = '127.0.0.1'
const NODE_ID = 1
const POM = join(dirname(fileURLToPath(import.meta.url)), '..', 'java', 'kafka', 'pom.xml')
/** Written to by every health check, so `up` proves the broker takes records. */
const HEALTH_TOPIC = 'lake-stack-health'

/**
 * The storage's cluster id: a Kafka UUID (16 bytes, URL-safe base64 without padding), fixed so
 * that every dev stack's Kafka is the same cluster, as HDFS's is `lake-dev`.
 */
export const KAFKA_CLUSTER_ID = Buffer.from('lake-dev-kafka-1').toString('base64url')

/**
 * The addresses of the dev Kafka, from the environment (the same variables `pnpm stack up`
 * reads), so tests find the broker that was started.
 */
export function kafkaEndpoints(env = process.env) {
  const ports = {
    broker: port('LAKE_KAFKA_PORT', 9092, env),
    controller: port('LAKE_KAFKA_CONTROLLER_PORT', 9093, env),
  }
  return {
    ports,
    /** Bootstrap servers for a client (kafkajs `brokers`, Java `bootstrap.servers`). */
    brokers: [`${HOST}:${ports.broker}`],
  }
}

/**
 * The bootstrap servers of the dev Kafka, for a kafkajs client:
 * `new Kafka({ clientId: 'test', brokers: kafkaBrokers() })`.
 */
export function kafkaBrokers(env = process.env) {
  return kafkaEndpoints(env).brokers
}

function layout(env = process.env) {
  const root = join(stackDir(env), 'kafka')
  const logs = join(stackDir(env), 'logs')
  return {
    home: join(cacheDir(env), `kafka-${KAFKA_VERSION}`),
    conf: join(root, 'conf'),
    data: join(root, 'data'),
    logs,
    daemon: {
      name: 'kafka',
      mainClass: 'kafka.Kafka',
      pidFile: join(stackDir(env), 'run', 'kafka.pid'),
      logFile: join(logs, 'kafka.log'),
    },
  }
}

/**
 * Starts the dev Kafka when it is not running and waits until it takes records; idempotent.
 * Tests that restart Kafka mid-stream call it after {@link stopKafka}.
 * @param {NodeJS.ProcessEnv} [env]
 * @param {(message: string) => void} [log]
 */
export async function startKafka(env = process.env, log = console.error) {
  const paths = layout(env)
  const endpoints = kafkaEndpoints(env)
  const java = findJava(17, env)
  if (runningPid(paths.daemon)) {
    await waitHealthy(endpoints, paths, 60_000)
    log(`kafka: already running (${endpoints.brokers.join(',')})`)
    return
  }
  await checkPortsFree([
    { name: 'LAKE_KAFKA_PORT', port: endpoints.ports.broker },
    { name: 'LAKE_KAFKA_CONTROLLER_PORT', port: endpoints.ports.controller },
  ])
  fetchJars(paths.home, env, log)
  writeConfig(paths, endpoints)
  if (!existsSync(join(paths.data, 'meta.properties'))) format(java.path, paths, log)
  startDaemon(
    paths.daemon,
    java.path,
    [
      '-Xms256m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(paths.conf, 'log4j2.properties')}`,
      `-Dkafka.logs.dir=${paths.logs}`,
      '-cp',
      join(paths.home, 'lib', '*'),
      paths.daemon.mainClass,
      join(paths.conf, 'server.properties'),
    ],
    { cwd: paths.data, env },
  )
  log(`kafka: started (log ${paths.daemon.logFile})`)
  await waitHealthy(endpoints, paths, Number(env.LAKE_STACK_TIMEOUT_MS ?? 120_000))
  log(`kafka: ready — bootstrap ${endpoints.brokers.join(',')}`)
}

/**
 * Stops the dev Kafka if the stack started it (SIGTERM: a controlled shutdown); its data stays.
 * @param {NodeJS.ProcessEnv} [env]
 * @param {(message: string) => void} [log]
 * @returns {Promise<boolean>} whether a process was stopped
 */
export async function stopKafka(env = process.env, log = console.error) {
  const stopped = await stopDaemon(layout(env).daemon)
  if (stopped) log('kafka: stopped')
  return stopped
}

/** @type {import('./services.mjs').Service} */
export const kafka = {
  name: 'kafka',
  describe: () => `Apache Kafka ${KAFKA_VERSION} (KRaft, broker + controller)`,
  logFiles: (env) => [layout(env).daemon.logFile],
  up: startKafka,
  async down(env, log) {
    await stopKafka(env, log)
  },

  async status(env = process.env) {
    const paths = layout(env)
    const endpoints = kafkaEndpoints(env)
    const pid = runningPid(paths.daemon)
    const lines = [`${paths.daemon.name}: ${pid ? `running (pid ${pid})` : 'stopped'}`]
    const cluster = await describeCluster(endpoints).catch((error) => error)
    lines.push(
      cluster instanceof Error
        ? `broker ${endpoints.brokers.join(',')}: not answering (${cluster.message})`
        : `broker ${endpoints.brokers.join(',')}: answering; cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)`,
    )
    return { healthy: !(cluster instanceof Error), lines }
  },
}

/**
 * Copies kafka_2.13 and its runtime dependencies, with the Log4j 2 binding for SLF4J, from
 * Maven Central (through ~/.m2) into the cache, once.
 * @param {string} home
 * @param {NodeJS.ProcessEnv} env
 * @param {(message: string) => void} log
 */
function fetchJars(home, env, log) {
  mavenRuntimeJars(
    {
      service: 'kafka',
      what: `Kafka ${KAFKA_VERSION}`,
      pom: POM,
      properties: { 'kafka.version': KAFKA_VERSION },
      home,
    },
    env,
    log,
  )
}

/**
 * The broker's `server.properties`: one KRaft node, every listener on 127.0.0.1, replication
 * and group settings for tests on one machine.
 * @param {ReturnType<typeof kafkaEndpoints>} endpoints
 * @param {string} dataDir
 * @returns {Record<string, string>}
 */
export function kafkaServerProperties(endpoints, dataDir) {
  const { broker, controller } = endpoints.ports
  return {
    'process.roles': 'broker,controller',
    'node.id': String(NODE_ID),
    // A static quorum read from this file on every start (not the voter set `format
    // --standalone` writes into the metadata log), so a changed controller port still starts.
    'controller.quorum.voters': `${NODE_ID}@${HOST}:${controller}`,
    listeners: `PLAINTEXT://${HOST}:${broker},CONTROLLER://${HOST}:${controller}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${broker}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'log.dirs': dataDir,
    // Tests create their topics; a typo in a topic name fails instead of creating a topic.
    'auto.create.topics.enable': 'false',
    'num.partitions': '1',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'offsets.topic.replication.factor': '1',
    // One partition each instead of 50: the first consumer group and the first transaction
    // wait for these topics to be created.
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'share.coordinator.state.topic.num.partitions': '1',
    'group.initial.rebalance.delay.ms': '0',
    // The log cleaner's buffer is taken from the heap; the default 128 MiB is a quarter of it.
    'log.cleaner.dedupe.buffer.size': String(32 << 20),
  }
}

/**
 * @param {ReturnType<typeof layout>} paths
 * @param {ReturnType<typeof kafkaEndpoints>} endpoints
 */
function writeConfig(paths, endpoints) {
  for (const dir of [paths.conf, paths.data, paths.logs]) mkdirSync(dir, { recursive: true })
  const properties = Object.entries(kafkaServerProperties(endpoints, paths.data))
    .map(([name, value]) => `${name}=${value}`)
    .join('\n')
  writeFileSync(
    join(paths.conf, 'server.properties'),
    `# Written by pnpm stack up; edits are overwritten.\n${properties}\n`,
  )
  // Everything to stdout, which the stack appends to logs/kafka.log.
  writeFileSync(
    join(paths.conf, 'log4j2.properties'),
    [
      '# Written by pnpm stack up; edits are overwritten.',
      'appender.console.type=Console',
      'appender.console.name=console',
      'appender.console.layout.type=PatternLayout',
      'appender.console.layout.pattern=%d{ISO8601} %p %c{1}: %m%n',
      'rootLogger.level=INFO',
      'rootLogger.appenderRef.console.ref=console',
      // Every request, every partition state change and every log segment roll otherwise.
      'logger.request.name=kafka.request.logger',
      'logger.request.level=WARN',
      'logger.state.name=state.change.logger',
      'logger.state.level=WARN',
      'logger.cleaner.name=kafka.log.LogCleaner',
      'logger.cleaner.level=WARN',
      // Each client and server component prints all its settings (2,000 lines at start);
      // conf/server.properties holds ours.
      'logger.config.name=org.apache.kafka.common.config.AbstractConfig',
      'logger.config.level=WARN',
      '',
    ].join('\n'),
  )
}

/**
 * Formats the storage once, with the stack's cluster id.
 * @param {string} java
 * @param {ReturnType<typeof layout>} paths
 * @param {(message: string) => void} log
 */
function format(java, paths, log) {
  log('kafka: formatting the storage')
  const formatLog = join(paths.logs, 'kafka-format.log')
  const result = spawnSync(
    java,
    [
      `-Dlog4j2.configurationFile=${join(paths.conf, 'log4j2.properties')}`,
      '-cp',
      join(paths.home, 'lib', '*'),
      'kafka.tools.StorageTool',
      'format',
      '--cluster-id',
      KAFKA_CLUSTER_ID,
      '--config',
      join(paths.conf, 'server.properties'),
    ],
    { cwd: paths.data, encoding: 'utf8' },
  )
  writeFileSync(formatLog, `${result.stdout}${result.stderr}`)
  if (result.status !== 0) {
    rmSync(join(paths.data, 'meta.properties'), { force: true })
    throw new StackError(`Formatting the Kafka storage failed; see ${formatLog}`)
  }
}

/**
 * A kafkajs client that fails fast, for one health probe.
 * @param {ReturnType<typeof kafkaEndpoints>} endpoints
 */
function probeClient(endpoints) {
  return new Kafka({
    clientId: 'lake-stack',
    brokers: endpoints.brokers,
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  })
}

/** @param {ReturnType<typeof kafkaEndpoints>} endpoints */
async function describeCluster(endpoints) {
  const admin = probeClient(endpoints).admin()
  try {
    await admin.connect()
    return await admin.describeCluster()
  } finally {
    await admin.disconnect()
  }
}

/**
 * The broker answers metadata, has a leader for the health topic's partition, and takes a
 * record written with `acks=all`.
 * @param {ReturnType<typeof kafkaEndpoints>} endpoints
 */
async function probe(endpoints) {
  const client = probeClient(endpoints)
  const admin = client.admin()
  const producer = client.producer({ allowAutoTopicCreation: false })
  try {
    await admin.connect()
    const cluster = await admin.describeCluster()
    if (cluster.brokers.length === 0) throw new Error('no broker registered')
    if (!(await admin.listTopics()).includes(HEALTH_TOPIC)) {
      await admin.createTopics({
        topics: [{ topic: HEALTH_TOPIC, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
      })
    }
    const { topics } = await admin.fetchTopicMetadata({ topics: [HEALTH_TOPIC] })
    const partition = topics[0]?.partitions[0]
    if (partition === undefined || partition.leader !== NODE_ID) {
      throw new Error(`${HEALTH_TOPIC} has no leader yet`)
    }
    await producer.connect()
    await producer.send({ topic: HEALTH_TOPIC, acks: -1, messages: [{ value: new Date().toISOString() }] })
  } finally {
    await producer.disconnect()
    await admin.disconnect()
  }
}

/**
 * @param {ReturnType<typeof kafkaEndpoints>} endpoints
 * @param {ReturnType<typeof layout>} paths
 * @param {number} timeoutMs
 */
function waitHealthy(endpoints, paths, timeoutMs) {
  return waitUntilHealthy({
    what: 'Kafka',
    daemons: [paths.daemon],
    timeoutMs,
    probe: () => probe(endpoints),
  })
}
