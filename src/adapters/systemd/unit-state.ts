/** Asks systemd whether a unit is enabled; null when systemd cannot be asked (not PID 1, no systemctl). */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export function isUnitEnabled(unit: string): Promise<boolean | null> {
  if (!existsSync('/run/systemd/system')) return Promise.resolve(null);
  return new Promise((resolve) => {
    execFile('systemctl', ['is-enabled', unit], { timeout: 5000 }, (err, stdout) => {
      const state = stdout.trim();
      if (['enabled', 'enabled-runtime', 'static', 'indirect', 'generated', 'alias'].includes(state)) resolve(true);
      else if (['disabled', 'masked', 'masked-runtime'].includes(state)) resolve(false);
      else resolve(err && (err as { code?: unknown }).code === 'ENOENT' ? null : state === '' ? null : false);
    });
  });
}
