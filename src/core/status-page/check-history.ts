/**
 * The last results of each health check, kept in memory for the status page's latency chart
 * (pure data: the agent records, the page reads). Bounded: `MAX_POINTS` per check.
 */
export interface CheckPoint {
  /** ms since epoch. */
  at: number;
  ok: boolean;
  /** The probe's duration in seconds. */
  seconds: number;
}

export const MAX_POINTS = 120;

/** Results by "service/check", oldest first. */
export class CheckHistory {
  private readonly points = new Map<string, CheckPoint[]>();

  record(service: string, check: string, point: CheckPoint): void {
    const key = `${service}/${check}`;
    let list = this.points.get(key);
    if (!list) this.points.set(key, (list = []));
    list.push(point);
    if (list.length > MAX_POINTS) list.splice(0, list.length - MAX_POINTS);
  }

  /** Every check of `service`, by check id. */
  of(service: string): Array<{ check: string; points: CheckPoint[] }> {
    const prefix = `${service}/`;
    return [...this.points].filter(([k]) => k.startsWith(prefix)).map(([k, points]) => ({ check: k.slice(prefix.length), points: [...points] }));
  }
}

/**
 * An SVG polyline's points for `points` in a `width` x `height` box: time on x, latency on y
 * (0 at the bottom, the largest value at the top). Empty for fewer than two points.
 */
export function latencyPolyline(points: readonly CheckPoint[], width: number, height: number): { points: string; maxSeconds: number } {
  if (points.length < 2) return { points: '', maxSeconds: 0 };
  const t0 = points[0]!.at;
  const t1 = points[points.length - 1]!.at;
  const max = Math.max(...points.map((p) => p.seconds), 0.001);
  const xy = points.map((p) => {
    const x = t1 === t0 ? 0 : ((p.at - t0) / (t1 - t0)) * width;
    const y = height - (p.seconds / max) * height;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  return { points: xy.join(' '), maxSeconds: max };
}
