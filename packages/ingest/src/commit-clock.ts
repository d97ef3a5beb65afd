/**
 * When an ingest worker's `commit.intervalMs` asks for a commit: `intervalMs` after the last
 * commit began, whatever started it. A commit started by `commit.rows` or `commit.bytes` (or by
 * `flush()`) therefore moves the next timed one back, instead of a timer fixed from the worker's
 * start making a small commit of what arrived just after it; what is buffered still waits at
 * most `intervalMs` after the last commit began, as with a fixed timer.
 *
 * @module
 */

/** A timer that asks for a commit `intervalMs` after the last one began. */
export class CommitClock {
  readonly #intervalMs: number
  readonly #due: () => void
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  /**
   * `due` is called when a commit is due; it should start one (and so call
   * {@link CommitClock.started}) when anything is buffered, and may do nothing otherwise: the
   * clock then waits another interval.
   */
  constructor(intervalMs: number, due: () => void) {
    this.#intervalMs = intervalMs
    this.#due = due
  }

  /** Starts counting, as if a commit began now. */
  start(): void {
    this.started()
  }

  /** A commit began: the next timed one is due `intervalMs` from now. */
  started(): void {
    if (this.#stopped) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      // Re-armed first: when `due` starts a commit, `started` re-arms it again from now.
      this.started()
      this.#due()
    }, this.#intervalMs)
    this.#timer.unref()
  }

  /** No commit is due any more. */
  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }
}
