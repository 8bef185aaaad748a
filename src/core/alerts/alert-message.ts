/** One alert as the channels receive it (adapters/notify sends it; the outbox keeps it as JSON). */
export interface AlertMessage {
  /** Idempotency key, stable across retries and agent restarts. */
  id: string;
  /** The alert it is about (`down:lapis`, `check:web/http`, `engine`), for alerts the agent steps. */
  key?: string;
  /** `notice`: about planned maintenance (announced, reminded, cancelled); never held by a window. */
  kind: 'firing' | 'reminder' | 'resolved' | 'summary' | 'notice';
  severity: 'critical' | 'warning' | 'info';
  /** What it is about: a container, a service, the host. */
  subject: string;
  title: string;
  text: string;
  host: string;
  /** ISO time of the event. */
  at: string;
  data?: Record<string, unknown>;
}
