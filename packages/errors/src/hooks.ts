/** Tags attached to a metric or log event. Values stay low-cardinality (no row ids). */
export type Tags = Readonly<Record<string, string | number | boolean>>

/** Severity of a structured log event. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/**
 * The one interface through which every Lake package reports metrics and structured logs.
 *
 * It is deliberately small so that it maps onto OpenTelemetry (`Counter.add`,
 * `Histogram.record`, `ObservableGauge`/`Gauge.record`) and Prometheus (`Counter.inc`,
 * `Histogram.observe`, `Gauge.set`) without loss. Metric names are dot-separated and
 * prefixed by the package, e.g. `lake.catalog.commit.duration_ms`.
 *
 * @example
 * ```ts
 * const hooks: LakeHooks = {
 *   counter: (name, value, tags) => promCounters[name]?.inc(tags, value),
 *   histogram: (name, value, tags) => promHistograms[name]?.observe(tags, value),
 *   gauge: (name, value, tags) => promGauges[name]?.set(tags, value),
 *   log: (event) => logger[event.level](event),
 * }
 * ```
 */
export interface LakeHooks {
  /** Adds `value` (default 1) to a monotonically increasing counter. */
  counter(name: string, value?: number, tags?: Tags): void
  /** Records one observation (a duration in ms, a size in bytes). */
  histogram(name: string, value: number, tags?: Tags): void
  /** Sets the current value of a gauge (buffered bytes, lag). */
  gauge(name: string, value: number, tags?: Tags): void
  /** Emits one structured log event. */
  log(event: LogEvent): void
}

/** A structured log event. */
export interface LogEvent {
  level: LogLevel
  /** A stable, dot-separated event name, e.g. `catalog.commit.retry`. */
  event: string
  /** Human-readable message. */
  message: string
  /** Structured fields: table, file, attempt, error… */
  fields?: Record<string, unknown>
}

const noop = (): void => {}

/** Hooks that drop everything; the default wherever hooks are optional. */
export const noopHooks: LakeHooks = Object.freeze({ counter: noop, histogram: noop, gauge: noop, log: noop })

/**
 * Fills in the methods a partial hooks object leaves out with no-ops, so callers may pass
 * only what they care about (e.g. just `log`).
 */
export function resolveHooks(hooks?: Partial<LakeHooks>): LakeHooks {
  if (hooks === undefined) return noopHooks
  return {
    counter: hooks.counter?.bind(hooks) ?? noop,
    histogram: hooks.histogram?.bind(hooks) ?? noop,
    gauge: hooks.gauge?.bind(hooks) ?? noop,
    log: hooks.log?.bind(hooks) ?? noop,
  }
}
