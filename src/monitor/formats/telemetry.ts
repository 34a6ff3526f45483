/**
 * What every telemetry wire format parses into: samples named the way the operator's systems
 * name things, and, for what could not be read, a refusal per line (or element, or series) that
 * says where and why, so a sender learns exactly what was dropped.
 */
import { X0ttaError } from '../../errors.ts';
import type { Sample } from '../ingest.ts';

/** Why part of a body was refused, and where. */
export interface LineRefusal {
  /** 1-based line of a text body, or 1-based element of a JSON array, or 1-based series of a binary body. */
  line: number;
  /** A short, stable reason code, e.g. 'bad-json', 'missing-field', 'bad-timestamp', 'non-finite'. */
  reason: string;
  /** What exactly was wrong, for a human. */
  detail: string;
}

/** What a parser read out of one body. */
export interface ParsedTelemetry {
  /** The samples it could read: `source` is the node as the operator's systems name it, `ts` Unix seconds. */
  samples: Sample[];
  /** The parts it could not, in the order met. */
  refused: LineRefusal[];
}

/** A body that cannot be read at all (not the format it claims to be): the whole request is refused. */
export class UnreadableBodyError extends X0ttaError {
  /**
   * An error about a whole body; the message starts with the format.
   * @param format the format that was expected, e.g. 'ndjson', 'remote-write'
   * @param message what made it unreadable
   */
  constructor(
    readonly format: string,
    message: string,
  ) {
    super(`${format}: ${message}`);
  }
}
