/**
 * Who is on the other end of a request: what the transport proved about the sender (its client
 * certificate under mTLS), handed by the server (listen.ts) to the handler with each request.
 */

/** A sender's identity, from its client certificate. */
export interface PeerIdentity {
  /**
   * The node it speaks for: the `<id>` of a SPIFFE ID `spiffe://<trust-domain>/node/<id>` in its
   * certificate's URI SAN or, without one, its certificate's CN.
   */
  node: string;
  /** Whether it may send samples for other nodes (a collector, such as a Prometheus server). */
  collector: boolean;
  /** The SPIFFE ID it presented, if any. */
  spiffeId?: string;
}

/** What the server knows of a request's sender. */
export interface Peer {
  /** Set when the connection presented a verified client certificate. */
  identity?: PeerIdentity;
  /** The sender's address, when the server knows it. */
  address?: string;
}

/** The service's one request handler, served by Node's server, `Deno.serve` and `Bun.serve` alike. */
export type FetchHandler = (request: Request, peer?: Peer) => Promise<Response>;
