/**
 * The incident, reproduced and recovered, on the incident's engine generation: Docker 28.5.2 +
 * containerd 2.1 (Debian sid's packages, unpacked by scripts/engine-28.sh): recovery-incident.cases.ts.
 */
import { describeIncident } from './recovery-incident.cases.js';

describeIncident('docker28');
