/**
 * The RAG box: an incident described in the reader's own words, and the runbooks (and incidents
 * the engine resolved) its RAG analyzer retrieves for it, ranked, with their scores and the
 * words and concepts each shares with the description.
 */
import type { RagHit } from './protocol.ts';
import { el, type RunbookReader } from './timeline.ts';

/** The form, its status line and the ranked hits. */
export class RagBox {
  readonly #query: HTMLTextAreaElement;
  readonly #status: HTMLOutputElement;
  readonly #hits: HTMLOListElement;

  constructor(
    root: HTMLElement,
    private readonly search: (query: string) => Promise<RagHit[]>,
    private readonly reader: RunbookReader,
  ) {
    this.#query = root.querySelector('textarea')!;
    this.#status = root.querySelector('output')!;
    this.#hits = root.querySelector('ol')!;
    root.querySelector('form')!.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#run();
    });
  }

  async #run(): Promise<void> {
    const query = this.#query.value.trim();
    this.#status.textContent = 'searching...';
    try {
      const hits = await this.search(query);
      this.#status.dataset.state = 'ok';
      this.#status.textContent = hits.length
        ? `${hits.length} documents, best first (score 1 = first in both the word and the meaning ranking)`
        : 'nothing matched';
      this.#hits.replaceChildren(...hits.map((hit) => this.#hit(hit)));
    } catch (error) {
      this.#status.dataset.state = 'error';
      this.#status.textContent = `Not searched: ${(error as Error).message}`;
      this.#hits.replaceChildren();
    }
  }

  #hit(hit: RagHit): HTMLElement {
    const title =
      hit.source === 'runbook'
        ? this.reader.button(hit.id, hit.title, 'link')
        : el('span', {}, `${hit.title} (a resolved incident)`);
    const ranks = [
      hit.lexicalRank !== undefined ? `words #${hit.lexicalRank}` : 'no word match',
      hit.vectorRank !== undefined ? `meaning #${hit.vectorRank}` : 'not near in meaning',
    ].join(', ');
    return el(
      'li',
      { 'data-doc': hit.id, 'data-source': hit.source, 'data-score': hit.score.toFixed(4) },
      el(
        'div',
        { class: 'hit-head' },
        el('meter', { min: '0', max: '1', value: String(hit.score), 'aria-label': `score of ${hit.id}` }),
        el('span', { class: 'score' }, hit.score.toFixed(3)),
        title,
      ),
      el(
        'div',
        { class: 'hit-why' },
        `${hit.faults.join(', ') || 'no fault kind'} · ${ranks}`,
        hit.matched.length ? ` · shares: ${hit.matched.slice(0, 8).join(', ')}` : '',
      ),
    );
  }
}
