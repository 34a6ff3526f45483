// autocannon ships no type declarations and the project has no @types package for it; the part
// of its programmatic API the serve benchmark uses (bench/serve.bench.ts) is declared here.
declare module 'autocannon' {
  /** One request of a cycle of requests; its fields override the run's defaults. */
  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    /** Called before each send of this request; returns the request to send (a new body, say). */
    setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
  }

  /** The options the benchmark passes. */
  export interface AutocannonOptions {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    /** Requests sent in turn, per connection, cycling. */
    requests?: AutocannonRequest[];
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    /** Requests per second over all connections; unlimited when absent. */
    overallRate?: number;
    /** Seconds a request may take. */
    timeout?: number;
  }

  /** An hdr-histogram-percentiles-obj summary. */
  export interface AutocannonHistogram {
    min: number;
    max: number;
    average: number;
    stddev: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9: number;
  }

  /** What a finished run reports. */
  export interface AutocannonResult {
    requests: AutocannonHistogram & { sent: number };
    latency: AutocannonHistogram;
    throughput: AutocannonHistogram;
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
  }

  /** Runs a load test; resolves with its results. */
  export default function autocannon(options: AutocannonOptions): Promise<AutocannonResult>;
}
