/**
 * The signed audit log as it grows: the latest entries (signed once their batch is sealed), a
 * Verify button that checks the whole log, and a Tamper button that edits a signed entry in the
 * database, after which Verify names that entry and why it fails.
 */
import type { AuditState, AuditVerdict } from './protocol.ts';
import { el } from './timeline.ts';

/** How often the list of entries is refreshed, ms. */
const REFRESH_MS = 1000;

/** What the panel asks the engine. */
export interface AuditApi {
  state(): Promise<AuditState>;
  verify(): Promise<AuditVerdict>;
  tamper(position: number): Promise<string>;
}

/** The panel (see the file comment). */
export class AuditPanel {
  readonly #summary: HTMLElement;
  readonly #rows: HTMLElement;
  readonly #status: HTMLOutputElement;
  readonly #entry: HTMLInputElement;
  #refreshedAt = 0;
  #refreshing = false;
  /** The reader chose an entry to tamper with: stop suggesting one. */
  #entryChosen = false;
  /** The entry the last verification failed at, marked in the list. */
  #failedAt: number | undefined;

  constructor(
    root: HTMLElement,
    private readonly api: AuditApi,
  ) {
    this.#summary = root.querySelector('[data-role="summary"]')!;
    this.#rows = root.querySelector('tbody')!;
    this.#status = root.querySelector('output')!;
    this.#entry = root.querySelector('input')!;
    this.#entry.addEventListener('input', () => (this.#entryChosen = true));
    root.querySelector('[data-action="verify"]')!.addEventListener('click', () => void this.#verify());
    root.querySelector('[data-action="tamper"]')!.addEventListener('click', () => void this.#tamper());
  }

  /** Shows the latest entries, at most once a second. */
  async refresh(force = false): Promise<void> {
    const now = performance.now();
    if (this.#refreshing || (!force && now - this.#refreshedAt < REFRESH_MS)) return;
    this.#refreshing = true;
    try {
      const state = await this.api.state();
      this.#refreshedAt = performance.now();
      this.#summary.textContent = `${state.entries} entries, ${state.batches} signed batches (ML-DSA-65); this page signs with key ${state.signer.slice(0, 12)}…`;
      this.#rows.replaceChildren(
        ...state.rows.map((row) =>
          el(
            'tr',
            {
              'data-seq': String(row.seq),
              'data-sealed': String(row.sealed),
              ...(row.seq === this.#failedAt ? { class: 'failed' } : {}),
            },
            el('td', {}, `#${row.seq}`),
            el('td', {}, row.kind),
            el('td', {}, row.tick !== undefined ? `t=${row.tick}` : new Date(row.at).toLocaleTimeString()),
            el('td', {}, row.incident ?? ''),
            el('td', {}, row.what),
            el('td', { class: row.sealed ? 'ok' : 'pending' }, row.sealed ? 'signed' : 'pending'),
          ),
        ),
      );
      const newestSigned = state.rows.find((r) => r.sealed);
      if (!this.#entryChosen && newestSigned) this.#entry.value = String(newestSigned.seq);
    } finally {
      this.#refreshing = false;
    }
  }

  async #verify(): Promise<void> {
    this.#say('verifying...', 'busy');
    try {
      const verdict = await this.api.verify();
      this.#failedAt = undefined;
      if (verdict.ok)
        this.#say(
          `Verified: ${verdict.entries} entries in ${verdict.batches} signed batches${verdict.unsealed ? ` and ${verdict.unsealed} not signed yet` : ''}, head ${verdict.head.slice(0, 12)}…`,
          'verified',
        );
      else {
        this.#say(
          `Verification failed at entry #${verdict.position}: ${verdict.reason}. ${verdict.detail}`,
          'failed',
        );
        this.#status.dataset.position = String(verdict.position);
        this.#failedAt = verdict.position;
        void this.refresh(true);
      }
    } catch (error) {
      this.#say(`Could not verify: ${(error as Error).message}`, 'error');
    }
  }

  async #tamper(): Promise<void> {
    const position = Number(this.#entry.value);
    try {
      const change = await this.api.tamper(position);
      this.#say(`Tampered with ${change}. Verify to see it caught.`, 'tampered');
      void this.refresh(true);
    } catch (error) {
      this.#say(`Not tampered: ${(error as Error).message}`, 'error');
    }
  }

  #say(text: string, state: string): void {
    this.#status.textContent = text;
    this.#status.dataset.state = state;
    delete this.#status.dataset.position;
  }
}
