import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CommitClock } from './commit-clock.js'

describe('CommitClock', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('is due an interval after it starts, and again an interval after each time it was due', () => {
    const due = vi.fn()
    const clock = new CommitClock(1_000, due)
    clock.start()
    vi.advanceTimersByTime(999)
    expect(due).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(due).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1_000)
    expect(due).toHaveBeenCalledTimes(2)
  })

  it('counts the interval from the last commit that began, whatever started it', () => {
    const due = vi.fn()
    const clock = new CommitClock(1_000, due)
    clock.start()
    vi.advanceTimersByTime(900)
    clock.started() // a commit started by size, 100 ms before the timed one
    vi.advanceTimersByTime(900)
    expect(due).not.toHaveBeenCalled()
    vi.advanceTimersByTime(100)
    expect(due).toHaveBeenCalledTimes(1)
  })

  it('counts from the commit that `due` starts, not from when it was due', () => {
    const times: number[] = []
    let clock: CommitClock
    const due = () => {
      times.push(Date.now())
      // The commit waits 300 ms in the lane for the one before it, then begins.
      setTimeout(() => clock.started(), 300)
    }
    clock = new CommitClock(1_000, due)
    const t0 = Date.now()
    clock.start()
    vi.advanceTimersByTime(3_000)
    expect(times.map((t) => t - t0)).toEqual([1_000, 2_300])
  })

  it('is never due once stopped', () => {
    const due = vi.fn()
    const clock = new CommitClock(1_000, due)
    clock.start()
    clock.stop()
    clock.started()
    vi.advanceTimersByTime(5_000)
    expect(due).not.toHaveBeenCalled()
  })
})
