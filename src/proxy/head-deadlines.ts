/** Something waiting for a response head that gives up at `deadline` (performance.now()). */
export interface Deadline {
  readonly deadline: number;
  expire(): void;
}

/** How often pending deadlines are checked: the precision of response-head timeouts. */
export const deadlineTickMs = 10;

const waiting = new Set<Deadline>();
let ticker: Timer | null = null;

/**
 * Response-head timeouts for the pooled client. One shared ticker instead of a timer per
 * request: in this sandbox a setTimeout/clearTimeout pair per request measured about 10 µs of
 * CPU (the runtime re-arms its timer each time the earliest deadline changes), while Set
 * add/delete is a fraction of a microsecond. Deadlines fire within one tick (10 ms) of their
 * time, still far finer than fetch's own `timeout` option (BUN-NOTES §1.4). The ticker runs only
 * while something waits and never keeps the process alive.
 */
export function watchDeadline(item: Deadline): void {
  waiting.add(item);
  if (ticker === null) {
    ticker = setInterval(sweep, deadlineTickMs);
    ticker.unref();
  }
}

export function unwatchDeadline(item: Deadline): void {
  waiting.delete(item);
}

function sweep(): void {
  if (waiting.size === 0) {
    clearInterval(ticker!);
    ticker = null;
    return;
  }
  const now = performance.now();
  for (const item of waiting) {
    if (item.deadline > now) continue;
    waiting.delete(item);
    item.expire();
  }
}
