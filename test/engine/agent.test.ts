/** The agent's acceptance on Debian bookworm's engine (docker.io 20.10, containerd 1.6): agent.cases.ts. */
import { describeAgentAcceptance } from './agent.cases.js';

describeAgentAcceptance('bookworm');
