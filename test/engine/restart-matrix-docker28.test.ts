/**
 * The restart-semantics matrix on the incident's engine generation, Docker 28.5.2 + containerd 2.1
 * (Debian sid's packages, unpacked by scripts/engine-28.sh): restart-matrix.cases.ts.
 */
import { describeRestartMatrix } from './restart-matrix.cases.js';

describeRestartMatrix('docker28');
