/**
 * Hands bytes read from a socket to an async consumer through a small pool of reused chunks:
 * the shared half of Lake's own socket readers (`http-reader.ts` for DataNode HTTP answers,
 * `block-reader.ts` for HDFS's block-transfer protocol).
 *
 * The producer (a socket's `onread` callback) copies bytes into the chunk being filled and
 * publishes ranges of it; the consumer iterates views of those ranges. **A view is the
 * consumer's until it asks for the next one**; then the chunk may be refilled once no other
 * view of it is out. A freed chunk goes to the back of the pool, so it is the last refilled.
 * Why chunks and not views of the socket buffer: a view would forbid the socket to read again
 * until the consumer is done with it; the pool lets the socket fill other chunks meanwhile (up
 * to `highWaterMark` bytes queued), at the cost of one memory copy.
 *
 * @module
 */

/** A pooled chunk and the number of its views queued or held and not yet given back. */
interface Slot {
  bytes: Uint8Array
  views: number
}

/** Options of {@link ChunkQueue}. */
export interface ChunkQueueOptions {
  /** Queued bytes at which {@link ChunkQueue.full} becomes true (the producer pauses). */
  highWaterMark: number
  /** Called when the consumer has taken enough that a paused producer may go on. */
  resume: () => void
  /**
   * Whether a waiting consumer is handed what was written and not yet published (an HTTP body:
   * every byte is final as it arrives). Off when bytes must be checked before they are shown
   * (a block's data before its checksums are verified).
   */
  eager: boolean
}

/** Pooled chunks between a socket reader and an async consumer; see the module. */
export class ChunkQueue {
  readonly #options: ChunkQueueOptions
  /** The chunk being filled, how far, and how much of it was published already. */
  #out: Slot | undefined
  #filled = 0
  #sent = 0
  /** Chunks free for refilling, in the order they were freed. */
  readonly #free: Uint8Array[] = []
  /** Views published and not yet taken by the consumer, and their total size. */
  readonly #queue: { view: Uint8Array; slot: Slot }[] = []
  #queued = 0
  /** The chunk of the view the consumer holds, given back when it asks for the next. */
  #held: Slot | undefined
  #error: unknown
  #ended = false
  #paused = false
  #wake: (() => void) | undefined

  constructor(options: ChunkQueueOptions) {
    this.#options = options
  }

  /** The chunk being filled (`undefined` before the first {@link ChunkQueue.start}). */
  get bytes(): Uint8Array | undefined {
    return this.#out?.bytes
  }

  /** How far the chunk being filled is filled. */
  get filled(): number {
    return this.#filled
  }

  /** Room left in the chunk being filled. */
  get room(): number {
    return this.#out ? this.#out.bytes.byteLength - this.#filled : 0
  }

  /** Whether the consumer has `highWaterMark` bytes waiting: the producer should pause. */
  get full(): boolean {
    return this.#queued >= this.#options.highWaterMark
  }

  /** Whether the queue ended or failed: nothing more is taken. */
  get closed(): boolean {
    return this.#ended || this.#error !== undefined
  }

  /**
   * Starts a new chunk of `size` bytes, from the pool when a free one is large enough (smaller
   * free ones are dropped). What was written to the previous chunk and not published is lost.
   */
  start(size: number): void {
    this.#retire()
    while (this.#free.length > 0 && this.#free[0]!.byteLength < size) this.#free.shift()
    const free = this.#free.shift()
    const bytes =
      free === undefined ? new Uint8Array(size) : free.byteLength === size ? free : free.subarray(0, size)
    this.#out = { bytes, views: 0 }
    this.#filled = 0
    this.#sent = 0
  }

  /** Copies `source[from, from + length)` into the chunk being filled; it must have room. */
  write(source: Uint8Array, from: number, length: number): void {
    this.#out!.bytes.set(source.subarray(from, from + length), this.#filled)
    this.#filled += length
  }

  /**
   * Queues the view `[from, to)` of the chunk being filled for the consumer (joined to the
   * view queued before it when they touch). Defaults to everything written and not yet
   * published.
   */
  publish(from = this.#sent, to = this.#filled): void {
    const out = this.#out
    if (!out || to <= from) return
    this.#sent = to
    const last = this.#queue[this.#queue.length - 1]
    if (
      last &&
      last.slot === out &&
      last.view.byteOffset + last.view.byteLength === out.bytes.byteOffset + from
    ) {
      last.view = out.bytes.subarray(last.view.byteOffset - out.bytes.byteOffset, to)
    } else {
      out.views += 1
      const view = from === 0 && to === out.bytes.byteLength ? out.bytes : out.bytes.subarray(from, to)
      this.#queue.push({ view, slot: out })
    }
    this.#queued += to - from
  }

  /** Wakes a waiting consumer; with `eager`, after publishing what it may have now. */
  notify(): void {
    if (!this.#wake) return
    if (this.#options.eager && this.#queue.length === 0) this.publish()
    const wake = this.#wake
    this.#wake = undefined
    wake()
  }

  /** The producer is paused until the consumer has taken enough ({@link ChunkQueueOptions.resume}). */
  pause(): void {
    this.#paused = true
  }

  /**
   * After the producer's socket read: wakes a waiting consumer, and says whether the socket
   * may read on (a socket `onread` callback's answer): not while `highWaterMark` bytes wait,
   * unless the producer is `done`.
   */
  afterRead(done: boolean): boolean {
    this.notify()
    if (!this.full || done) return true
    this.pause()
    return false
  }

  /** The end: the consumer takes what is queued, then sees the end. */
  end(): void {
    if (this.closed) return
    if (this.#options.eager) this.publish()
    this.#retire()
    this.#ended = true
    this.notify()
  }

  /** A failure: the consumer takes what is queued, then gets `error`. */
  fail(error: unknown): void {
    if (this.closed) return
    this.#error = error
    if (this.#options.eager) this.publish()
    this.notify()
  }

  /** The consumer gave up: what is queued is dropped. */
  close(): void {
    if (this.closed) return
    this.#ended = true
    this.#queue.length = 0
    this.#queued = 0
    this.notify()
  }

  /** The consumer's view of the bytes: each view is valid until the next is asked for. */
  iterator(onReturn: () => void): AsyncIterator<Uint8Array> {
    return {
      next: async () => {
        const value = await this.#next()
        return value === undefined ? { done: true, value: undefined } : { done: false, value }
      },
      return: async () => {
        onReturn()
        return { done: true, value: undefined }
      },
    }
  }

  /** The chunk being filled is done with: it is free once no view of it is out. */
  #retire(): void {
    const out = this.#out
    this.#out = undefined
    if (out && out.views === 0) this.#release(out)
  }

  #release(slot: Slot): void {
    // The whole chunk goes back, also when only its start was used (the end of a body).
    const bytes = slot.bytes.byteOffset === 0 ? new Uint8Array(slot.bytes.buffer) : slot.bytes
    this.#free.push(bytes)
  }

  /** Gives back the view the consumer held: it asked for the next one. */
  #giveBack(): void {
    const slot = this.#held
    this.#held = undefined
    if (!slot) return
    slot.views -= 1
    if (slot.views === 0 && slot !== this.#out) this.#release(slot)
  }

  async #next(): Promise<Uint8Array | undefined> {
    this.#giveBack()
    for (;;) {
      const entry = this.#queue.shift()
      if (entry) {
        this.#queued -= entry.view.byteLength
        this.#held = entry.slot
        if (this.#paused && this.#queued < this.#options.highWaterMark) {
          this.#paused = false
          this.#options.resume()
        }
        return entry.view
      }
      if (this.#error !== undefined) throw this.#error
      if (this.#ended) return undefined
      // Bytes may sit in a chunk not yet full: hand them out rather than wait for more.
      if (this.#options.eager) {
        this.publish()
        if (this.#queue.length > 0) continue
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
    }
  }
}
