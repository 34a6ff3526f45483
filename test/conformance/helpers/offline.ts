/**
 * What a page fetched from anywhere but its own server (http and https resources of the
 * Resource Timing list): the browser's evidence that a model and its runtime came from the test
 * server, not a CDN or a model hub. Empty off the browser, where there is no such list.
 */
export function fetchedElsewhere(): string[] {
  const timing = (globalThis as { performance?: Performance }).performance;
  const location = (globalThis as { location?: Location }).location;
  if (location === undefined || typeof timing?.getEntriesByType !== 'function') return [];
  return timing
    .getEntriesByType('resource')
    .map((entry) => entry.name)
    .filter((name) => /^https?:/.test(name) && new URL(name).origin !== location.origin);
}
