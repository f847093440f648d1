import type { AuditEvent } from "./event.ts";

/**
 * The records waiting to be written, oldest first. `push` is an array append; `take` hands
 * out up to one batch by advancing a head index, so draining a long backlog is linear.
 */
export class BatchQueue {
  private items: AuditEvent[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(event: AuditEvent): void {
    this.items.push(event);
  }

  /** Removes and returns up to `max` of the oldest records. */
  take(max: number): AuditEvent[] {
    const end = Math.min(this.items.length, this.head + max);
    if (this.head === 0 && end === this.items.length) {
      const all = this.items;
      this.items = [];
      return all;
    }
    const batch = this.items.slice(this.head, end);
    this.head = end;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 65_536 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return batch;
  }
}
