/**
 * The config's scrape targets, fed to a telemetry intake: `serve` scrapes into its engine and
 * `serve --publish` into its NATS gateway, alike. A scrape's refused lines are counted by the
 * intake as any parser's are, and a refused submission (a full queue, a failed publish) is
 * counted by the intake too: the next scrape brings fresh values, so nothing is retried.
 */
import type { EngineConfig } from '../serve/config.ts';
import type { TelemetryIntake } from '../serve/handler.ts';
import { Scraper } from '../serve/scrape.ts';

/**
 * Starts scraping `config.scrape`'s targets into `intake`, a failed scrape said on `notice`;
 * returns the running Scraper (to stop), or undefined when the config names no targets.
 */
export function startScraper(
  config: EngineConfig,
  intake: Pick<TelemetryIntake, 'submit' | 'refuse'>,
  notice: (line: string) => void,
): Scraper | undefined {
  if (!config.scrape) return undefined;
  const scraper = new Scraper({
    targets: config.scrape.targets,
    intervalSeconds: config.scrape.intervalSeconds,
    nodeLabel: config.scrape.nodeLabel,
    maxBodyBytes: config.limits.maxBodyBytes,
    onSamples(parsed) {
      for (const refusal of parsed.refused) intake.refuse(refusal.reason, 1);
      void intake.submit(parsed.samples);
    },
    onError(target, error) {
      notice(`scrape ${target.url}: ${(error as Error)?.message ?? String(error)}`);
    },
  });
  scraper.start();
  return scraper;
}
