/**
 * The NATS connection `serve --publish` (the gateway) and `serve --nats` (an engine) open: one
 * that reconnects for ever, so a restarted server is waited for rather than ending the process.
 * Only the first connection must succeed; a server not reachable then is said on `notice`.
 */
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';

/** Milliseconds between reconnection attempts while the server is away. */
const RECONNECT_WAIT_MS = 250;

/**
 * Connects to the NATS server at `url`, reconnecting for ever once connected; resolves to
 * undefined (after saying `cannot reach <url>: <why>` on `notice`) when the first attempt fails,
 * for the command to exit with code 1.
 */
export async function connectNats(
  url: string,
  notice: (line: string) => void,
): Promise<NatsConnection | undefined> {
  try {
    return await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: RECONNECT_WAIT_MS });
  } catch (error) {
    notice(`cannot reach ${url}: ${(error as Error).message}`);
    return undefined;
  }
}
