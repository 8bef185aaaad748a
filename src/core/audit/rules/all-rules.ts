/** Every audit rule, in the order their findings are produced. */
import type { AuditRule } from '../rule.js';
import { composeDriftRule } from './compose-drift.js';
import { fileSkippedRule } from './file-skipped.js';
import { healthcheckForDependencyRule } from './healthcheck-for-dependency.js';
import { invalidYamlRule } from './invalid-yaml.js';
import { restartPolicyRule } from './restart-policy.js';

export const ALL_RULES: readonly AuditRule[] = [invalidYamlRule, restartPolicyRule, composeDriftRule, healthcheckForDependencyRule, fileSkippedRule];
