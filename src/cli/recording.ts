/**
 * What `replay` and `rca` share about the operator's files: reading the topology and the engine
 * config (a bad file is a usage error listing every problem at its JSON path; `asUsage` turns
 * an engine error about any file into one), and the reporting interval of a recording,
 * inferred from its timestamps when not given.
 */
import { X0ttaError } from '../errors.ts';
import type { Sample } from '../monitor/ingest.ts';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig, parseEngineConfig } from '../serve/config.ts';
import { parseTopology, type Topology } from '../serve/topology.ts';
import { UsageError } from './args.ts';
import { readJsonInput } from './input.ts';

/** Reads `--topology` and `--config` (the defaults without one); UsageErrors name the option. */
export async function readEngineFiles(
  topologyFile: string,
  configFile: string | undefined,
): Promise<{ topology: Topology; config: EngineConfig }> {
  const topologyValue = await readJsonInput<unknown>('--topology', topologyFile, 'topology file');
  const topology = asUsage('--topology', () => parseTopology(topologyValue, topologyFile));
  if (configFile === undefined) return { topology, config: DEFAULT_ENGINE_CONFIG };
  const configValue = await readJsonInput<unknown>('--config', configFile, 'config file');
  return { topology, config: asUsage('--config', () => parseEngineConfig(configValue, configFile)) };
}

/** Runs `read`, turning an engine error about a file (a ConfigError, a bad value) into a UsageError naming its option. */
export function asUsage<T>(option: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof X0ttaError) throw new UsageError(option, error.message);
    throw error;
  }
}

/**
 * The data's reporting interval in seconds: per series, the median spacing of its distinct
 * timestamps; across series, the median of those. Undefined when no series has two timestamps.
 */
export function inferInterval(samples: readonly Sample[]): number | undefined {
  const times = new Map<string, number[]>();
  for (const s of samples) {
    const key = `${s.source}\u0000${s.metric}`;
    let list = times.get(key);
    if (!list) times.set(key, (list = []));
    list.push(s.ts);
  }
  const spacings: number[] = [];
  for (const list of times.values()) {
    const distinct = [...new Set(list)].sort((a, b) => a - b);
    const gaps = distinct.slice(1).map((t, i) => t - distinct[i]);
    if (gaps.length) spacings.push(median(gaps));
  }
  return spacings.length ? median(spacings) : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
