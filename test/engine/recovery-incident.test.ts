/** The incident, reproduced and recovered, on Debian bookworm's engine (docker.io 20.10, containerd 1.6): recovery-incident.cases.ts. */
import { describeIncident } from './recovery-incident.cases.js';

describeIncident('bookworm');
