/**
 * The agent's acceptance on the incident's engine generation, Docker 28.5.2 + containerd 2.1
 * (Debian sid's packages, unpacked by scripts/engine-28.sh): agent.cases.ts.
 */
import { describeAgentAcceptance } from './agent.cases.js';

describeAgentAcceptance('docker28');
