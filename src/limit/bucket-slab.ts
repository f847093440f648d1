/**
 * Token-bucket state for many keys in two flat arrays (level, last refill time) instead of one
 * object per key: a million buckets are two 8 MB arrays the garbage collector never has to walk.
 */
export class BucketSlab {
  level: Float64Array;
  stamp: Float64Array;
  private readonly free: number[] = [];
  private next = 0;

  constructor(initialSlots = 1024) {
    this.level = new Float64Array(initialSlots);
    this.stamp = new Float64Array(initialSlots);
  }

  /** A slot for a new bucket, full at time `now`. */
  alloc(burst: number, now: number): number {
    const slot = this.free.length > 0 ? this.free.pop()! : this.grow();
    this.level[slot] = burst;
    this.stamp[slot] = now;
    return slot;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  private grow(): number {
    if (this.next === this.level.length) {
      const size = this.level.length * 2;
      const level = new Float64Array(size);
      const stamp = new Float64Array(size);
      level.set(this.level);
      stamp.set(this.stamp);
      this.level = level;
      this.stamp = stamp;
    }
    return this.next++;
  }
}

/**
 * A bucket's level at `now`: refilled at `ratePerMs` since `stamp`, capped at `burst`. A negative
 * level (debt charged by other nodes) refills the same way.
 */
export function refilled(
  level: number,
  stamp: number,
  now: number,
  ratePerMs: number,
  burst: number,
): number {
  const elapsed = now - stamp;
  if (elapsed <= 0) return level;
  const next = level + elapsed * ratePerMs;
  return next < burst ? next : burst;
}
