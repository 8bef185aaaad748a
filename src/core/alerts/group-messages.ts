/**
 * Alerts queued together (what one reconcile saw: 50 containers dying at once after an OOM, say)
 * become one message for channels people read, listing each; the per-container alert states stay
 * as they are. Pure.
 */
import type { AlertMessage } from './alert-message.js';

/** Messages queued within this long of the first of a group are sent with it (one reconcile takes milliseconds). */
export const GROUP_WINDOW_MS = 2_000;

const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;

/** How many of `messages` (oldest first, with the time each was queued) go out together with the first. */
export function groupSize(queuedAt: readonly number[], windowMs = GROUP_WINDOW_MS): number {
  if (queuedAt.length === 0) return 0;
  const first = queuedAt[0]!;
  let n = 1;
  while (n < queuedAt.length && queuedAt[n]! - first <= windowMs) n++;
  return n;
}

/** One message standing for `messages` (two or more), oldest first. */
export function groupMessages(messages: readonly AlertMessage[]): AlertMessage {
  const first = messages[0]!;
  const firing = messages.filter((m) => m.kind === 'firing' || m.kind === 'reminder');
  const resolved = messages.filter((m) => m.kind === 'resolved');
  const kind: AlertMessage['kind'] = firing.length > 0 ? 'firing' : resolved.length === messages.length ? 'resolved' : 'summary';
  const severity = messages.reduce<AlertMessage['severity']>((s, m) => (SEVERITY_RANK[m.severity] > SEVERITY_RANK[s] ? m.severity : s), 'info');
  const parts = [firing.length > 0 ? `${firing.length} firing` : null, resolved.length > 0 ? `${resolved.length} resolved` : null].filter((p) => p !== null);
  const others = messages.length - firing.length - resolved.length;
  if (others > 0) parts.push(`${others} other`);
  const names = [...new Set(messages.map((m) => m.subject))];
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
  return {
    ...first,
    id: `${first.id}+${messages.length - 1}`,
    kind,
    severity,
    subject: first.host,
    title: `${messages.length} alerts (${parts.join(', ')}): ${shown}`,
    text: messages.map((m) => `- ${m.title}: ${m.text}`).join('\n'),
    data: { grouped: messages.map((m) => ({ id: m.id, kind: m.kind, subject: m.subject, title: m.title })) },
  };
}
