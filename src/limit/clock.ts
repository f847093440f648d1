/**
 * A monotonic clock in milliseconds. Buckets refill from it, never from the wall clock, so a
 * clock step (NTP, a VM resume) cannot hand out or take away tokens. Tests inject their own.
 */
export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();

/** A clock a test moves by hand. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

export function createManualClock(startMs = 0): ManualClock {
  let now = startMs;
  const clock = () => now;
  clock.advance = (ms: number) => {
    now += ms;
  };
  clock.set = (ms: number) => {
    now = ms;
  };
  return clock;
}
