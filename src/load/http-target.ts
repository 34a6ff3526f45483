/**
 * HTTP endpoints as load targets, through the runtime's global fetch (Node 20+, Deno, Bun and
 * browsers). The response body is read to the end so connections are reused; a status outside
 * `okStatus` fails the call with kind `http_<status>`, a transport failure with kind 'network'.
 */
import { ArgumentError } from '../errors.ts';
import { LoadCallError, type LoadTarget } from './target.ts';

/** Request shape for an HTTP target. */
export interface HttpTargetOptions {
  /** HTTP method (default GET). */
  method?: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Uint8Array<ArrayBuffer>;|Request body, sent with every call. */
  body?: string | Uint8Array<ArrayBuffer>;
  /** Which statuses count as success; default 200-399. */
  okStatus?: (status: number) => boolean;
}

/** A target that sends one request per call to `url`; aborts it when the call times out. */
export function httpTarget(url: string | URL, options: HttpTargetOptions = {}): LoadTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ArgumentError('url', `'${String(url)}' is not an absolute URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ArgumentError('url', `protocol must be http: or https:, got ${parsed.protocol}`);
  }
  const {
    method = 'GET',
    headers,
    body,
    okStatus = (status: number) => status >= 200 && status < 400,
  } = options;
  const href = parsed.href;
  return async (context) => {
    const signal = context.signal;
    let response: Response;
    try {
      response = await fetch(href, { method, headers, body, signal });
      await response.arrayBuffer();
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new LoadCallError('network', error instanceof Error ? error.message : String(error));
    }
    if (!okStatus(response.status))
      throw new LoadCallError(`http_${response.status}`, `${method} ${href} answered ${response.status}`);
  };
}
