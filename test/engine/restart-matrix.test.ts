/** The restart-semantics matrix on Debian bookworm's engine (docker.io 20.10, containerd 1.6): restart-matrix.cases.ts. */
import { describeRestartMatrix } from './restart-matrix.cases.js';

describeRestartMatrix('bookworm');
