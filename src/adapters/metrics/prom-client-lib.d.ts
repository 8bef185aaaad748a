/**
 * Types for the prom-client files src/adapters/metrics/agent-metrics.ts imports one by one instead
 * of the package's index (which loads its Pushgateway with https and zlib, and the default metrics
 * with @opentelemetry/api: about 14 MiB of the agent's resident memory on Node 24). Each file's
 * module.exports is what the index re-exports under that name (prom-client 15.1).
 */
declare module 'prom-client/lib/registry.js' {
  export { Registry as default } from 'prom-client';
}
declare module 'prom-client/lib/counter.js' {
  export { Counter as default } from 'prom-client';
}
declare module 'prom-client/lib/gauge.js' {
  export { Gauge as default } from 'prom-client';
}
declare module 'prom-client/lib/histogram.js' {
  export { Histogram as default } from 'prom-client';
}
/** One of prom-client's default metrics: registers its series in `registry`. */
declare module 'prom-client/lib/metrics/*' {
  import type { Registry } from 'prom-client';
  const register: (registry: Registry, config: { eventLoopMonitoringPrecision?: number }) => void;
  export default register;
}
