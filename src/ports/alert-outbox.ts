/** The durable alert outbox: one row per message and channel, delivered in order per channel. */

/** One message waiting for (or done with) one channel. */
export interface OutboxEntry {
  messageId: string;
  channel: string;
  /** The message as enqueued (JSON). */
  message: unknown;
  createdAt: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  deliveredAt: string | null;
  givenUpAt: string | null;
}

export interface AlertOutboxRepository {
  /**
   * Puts `message` into the outbox once per channel (idempotent: a message id already there for a
   * channel is not added again), created and due at `at` (ISO; default the store's clock). Returns
   * how many rows were added.
   */
  enqueueAlert(messageId: string, message: unknown, channels: readonly string[], at?: string): number;
  /** Undelivered, not given up, due at `now` (ISO), oldest first. */
  dueAlerts(now: string, limit?: number): OutboxEntry[];
  /** Undelivered, not given up, due or not, in the order they were queued. */
  undeliveredAlerts(limit?: number): OutboxEntry[];
  /** Every row of one message, or all rows (newest first) when messageId is omitted. */
  outbox(opts?: { messageId?: string; limit?: number }): OutboxEntry[];
  markDelivered(messageId: string, channel: string, at: string): void;
  /** A failed attempt: retry at `nextAttemptAt`, or give up when it is null. */
  markFailed(messageId: string, channel: string, error: string, nextAttemptAt: string | null, at: string): void;
  /** Rows still to deliver; and the earliest next attempt among them (null when none). */
  outboxPending(): { count: number; nextAttemptAt: string | null };
}
