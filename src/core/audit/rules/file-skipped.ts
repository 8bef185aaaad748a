/**
 * file-skipped: a file the audit was asked to look at (named, found by --scan, or named by a
 * container's compose labels) that it did not read, or could not fix, and why: not a regular file,
 * outside the directories the audit may touch, too large, binary, not UTF-8, unreadable, or not
 * writable. The reader and the writer report it (src/app/audit.ts); the rule itself checks nothing
 * in a parsed file. See docs/rules/file-skipped.md.
 */
import type { Finding } from '../finding.js';
import { ruleDocsUrl, type AuditRule, type Severity } from '../rule.js';

const ID = 'file-skipped';

export const fileSkippedRule: AuditRule = {
  meta: {
    id: ID,
    docs: { description: 'Files the audit was asked to check must be regular UTF-8 files it may read (and write, with --fix)', url: ruleDocsUrl(ID) },
    defaultSeverity: 'error',
    fixable: false,
  },
  check() {
    // Reported where files are read and written, not from their content.
  },
};

/** The finding for `path`, skipped for `reason` (a clause: "it is a FIFO ..."). */
export function fileSkippedFinding(path: string, reason: string, severity: Severity = 'error'): Finding {
  return {
    ruleId: ID,
    severity,
    message: `skipped: ${reason}`,
    path,
    line: 1,
    column: 1,
    endLine: 1,
    endColumn: 1,
    fixable: false,
    suggestion: null,
    docsUrl: ruleDocsUrl(ID),
  };
}
