/**
 * The page's account of what happened: the injected faults (what the engine made of each) and
 * the incidents' stories step by step, with the runbooks a diagnosis cited a click away. Both
 * lists are keyed, so an unchanged row keeps its element (and a focused button keeps focus).
 */
import { printTarget } from '../src/domain/targets.ts';
import type { RagDocument } from '../src/rag/document.ts';
import { kindColor } from '../src/report/index.ts';
import type { FaultOutcome, Story, StoryStep } from './protocol.ts';

/** Builds an element with text and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** Keeps one element per key, rebuilding it only when its signature changes, in the given order. */
class KeyedList<T> {
  readonly #items = new Map<string, { element: HTMLElement; signature: string }>();

  constructor(
    private readonly container: HTMLElement,
    private readonly key: (item: T) => string,
    private readonly render: (item: T) => HTMLElement,
  ) {}

  update(items: readonly T[]): void {
    const seen = new Set<string>();
    let previous: Element | null = null;
    for (const item of items) {
      const key = this.key(item);
      seen.add(key);
      const signature = JSON.stringify(item);
      let entry = this.#items.get(key);
      if (!entry || entry.signature !== signature) {
        const element = this.render(item);
        if (entry) entry.element.replaceWith(element);
        entry = { element, signature };
        this.#items.set(key, entry);
      }
      const expected: Element | null = previous
        ? previous.nextElementSibling
        : this.container.firstElementChild;
      if (expected !== entry.element) {
        if (previous) previous.after(entry.element);
        else this.container.prepend(entry.element);
      }
      previous = entry.element;
    }
    for (const [key, entry] of this.#items)
      if (!seen.has(key)) {
        entry.element.remove();
        this.#items.delete(key);
      }
  }
}

/** The faults table and the incident stories. */
export class Timeline {
  readonly #faults: KeyedList<FaultOutcome>;
  readonly #stories: KeyedList<Story>;

  constructor(
    private readonly parts: {
      faultRows: HTMLElement;
      faultsEmpty: HTMLElement;
      stories: HTMLElement;
      storiesEmpty: HTMLElement;
    },
    private readonly reader: RunbookReader,
  ) {
    this.#faults = new KeyedList(parts.faultRows, (f) => String(f.id), faultRow);
    this.#stories = new KeyedList(
      parts.stories,
      (s) => s.id,
      (s) => this.#story(s),
    );
  }

  showFaults(faults: readonly FaultOutcome[]): void {
    this.parts.faultsEmpty.hidden = faults.length > 0;
    this.#faults.update(faults);
  }

  showStories(stories: readonly Story[]): void {
    this.parts.storiesEmpty.hidden = stories.length > 0;
    this.#stories.update(stories);
  }

  #story(story: Story): HTMLElement {
    const times = `opened t=${story.openedAt}${story.closedAt !== undefined ? `, closed t=${story.closedAt}` : ''}`;
    const heading = el(
      'h3',
      {},
      `${story.label} · ${story.status}${story.past ? ' · earlier session' : ''} `,
      el('small', {}, `${times} · ${story.nodes.length} node${story.nodes.length === 1 ? '' : 's'}`),
    );
    const steps = el('ol', { class: 'steps' });
    for (const step of story.steps)
      steps.append(
        el(
          'li',
          { 'data-step': step.step },
          el('span', { class: 'ts' }, sinceOpened(step.ts - story.openedAt)),
          el('span', { class: 'step' }, STEP_NAMES[step.step]),
          el('span', {}, ...this.#describe(step)),
        ),
      );
    return el(
      'article',
      {
        class: 'story',
        'data-incident': story.id,
        'data-status': story.status,
        ...(story.past ? { 'data-past': 'true' } : {}),
      },
      heading,
      steps,
    );
  }

  #describe(step: StoryStep): Array<Node | string> {
    switch (step.step) {
      case 'anomaly':
        return [`${step.node}: ${step.metrics.join(', ') || 'metrics'} (score ${step.score.toFixed(2)})`];
      case 'opened':
        return [`over ${list(step.nodes, 6)}`];
      case 'root-cause': {
        const [top, ...rest] = step.causes;
        if (!top) return ['none ranked'];
        const others = rest.map((c) => `${c.target} ${c.score.toFixed(2)}`).join(', ');
        return [
          el('strong', { 'data-role': 'root-cause' }, top.target),
          ` confidence ${step.confidence.toFixed(2)}`,
          ...(others ? [el('span', { class: 'why' }, `; then ${others}`)] : []),
        ];
      }
      case 'diagnosis': {
        const cites = step.citations.map((id) => this.reader.button(id, id, 'cite'));
        return [
          el('strong', { 'data-role': 'diagnosis' }, step.kind ?? 'kind unclear'),
          ...(cites.length ? [' cites ', ...cites] : [' (no runbook cited)']),
        ];
      }
      case 'plan':
        return [
          `${step.action} on ${step.target}, score ${step.score.toFixed(2)} `,
          el('span', { class: 'why' }, `(${step.explanation || 'no feature stood out'})`),
          ...(step.alternatives.length
            ? [
                el(
                  'span',
                  { class: 'why' },
                  `; next best ${step.alternatives.map((a) => `${a.action} ${a.target} ${a.score.toFixed(2)}`).join(', ')}`,
                ),
              ]
            : []),
        ];
      case 'action':
        return [`${shortId(step.id)}: ${step.action} on ${step.target}`];
      case 'verification':
        return [
          el(
            'span',
            { class: step.outcome === 'healed' ? 'ok' : 'bad' },
            OUTCOMES[step.outcome] ?? step.outcome,
          ),
          ` (${step.action}${step.reason ? `: ${step.reason}` : ''})`,
        ];
      case 'rollback':
        return [
          step.ok
            ? `${shortId(step.id)} undone`
            : `${shortId(step.id)} could not be undone: ${step.reason ?? 'no reason given'}`,
        ];
      case 'resolved':
        return [el('span', { class: 'ok' }, 'back to normal')];
      case 'escalated':
        return [el('span', { class: 'bad' }, step.reason ?? 'handed to a human')];
    }
  }
}

/** The dialog in which a cited or retrieved runbook is read. */
export class RunbookReader {
  constructor(
    private readonly dialog: HTMLDialogElement,
    private readonly runbook: (id: string) => Promise<RagDocument | undefined>,
  ) {}

  /** A button that opens runbook `id`, labelled `label`. */
  button(id: string, label: string, cls: string): HTMLButtonElement {
    const button = el('button', { type: 'button', class: cls, title: `read ${id}` }, label);
    button.addEventListener('click', () => void this.open(id));
    return button;
  }

  /** Shows runbook `id` (a past incident, which is no runbook, says so). */
  async open(id: string): Promise<void> {
    const doc = await this.runbook(id);
    const { dialog } = this;
    const title = dialog.querySelector('#runbook-title')!;
    const body = dialog.querySelector('#runbook-body')!;
    if (!doc) {
      title.textContent = id;
      body.replaceChildren(el('p', {}, 'A past incident the engine resolved, not a shipped runbook.'));
    } else {
      title.textContent = doc.title;
      body.replaceChildren(
        el('p', {}, el('strong', {}, 'About: '), doc.faults.join(', '), ` · severity ${doc.severity}`),
        el('h3', {}, 'Symptoms'),
        el('ul', {}, ...doc.symptoms.map((s) => el('li', {}, s))),
        el('h3', {}, 'Recommended actions'),
        el('p', {}, doc.actions.join(', ')),
        ...markdownSections(doc.body),
      );
    }
    dialog.showModal();
  }
}

/** Runbook bodies are short markdown: `## Heading` lines become headings, the rest paragraphs. */
function markdownSections(body: string): HTMLElement[] {
  return body
    .split(/\n(?=## )/)
    .flatMap((section) => {
      const [first, ...rest] = section.split('\n');
      return first.startsWith('## ')
        ? [el('h3', {}, first.slice(3)), el('p', {}, rest.join('\n').trim())]
        : [el('p', {}, section.trim())];
    })
    .filter((e) => e.textContent !== '');
}

const STEP_NAMES: Record<StoryStep['step'], string> = {
  anomaly: 'anomaly',
  opened: 'opened',
  'root-cause': 'root cause',
  diagnosis: 'diagnosis',
  plan: 'plan',
  action: 'action',
  verification: 'verification',
  rollback: 'rollback',
  resolved: 'resolved',
  escalated: 'escalated',
};

const OUTCOMES: Record<string, string> = {
  healed: 'healed',
  'not-healed': 'did not heal',
  failed: 'failed',
  'rolled-back': 'rolled back',
  'dry-run': 'dry run',
};

/** Seconds from the incident's opening: t+3, or t−2 for the anomaly that came before it. */
function sinceOpened(seconds: number): string {
  return seconds < 0 ? `t\u2212${-seconds}` : `t+${seconds}`;
}

/** An action id without its run prefix: `act-<n>`. */
function shortId(id: string): string {
  const at = id.lastIndexOf('act-');
  return at >= 0 ? id.slice(at) : id;
}

function list(items: readonly string[], max: number): string {
  return items.length <= max
    ? items.join(', ')
    : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/**
 * A check mark saying "right", drawn (a font may lack the glyph) and read out as words.
 */
function rightMark(): Node {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 12 12');
  svg.setAttribute('class', 'mark');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M2 6.5 5 9.5 10 2.5');
  svg.append(path);
  return el('span', {}, svg, el('span', { class: 'sr-only' }, ' (right)'));
}

/** One row of the faults table, with its state and facts in data attributes for tools. */
function faultRow(f: FaultOutcome): HTMLElement {
  const target = printTarget(f.target);
  const state =
    f.healedAt !== undefined ? 'healed' : f.endedAt !== null ? 'ended' : f.incident ? 'detected' : 'active';
  const top = f.rootCauses[0] ? printTarget(f.rootCauses[0]) : undefined;
  const cell = (text: string, cls = '', ...more: Node[]) =>
    el('td', cls ? { class: cls } : {}, text, ...more);
  const row = el(
    'tr',
    {
      'data-fault': String(f.id),
      'data-kind': f.kind,
      'data-target': target,
      'data-state': state,
      'data-injected-at': String(f.injectedAt),
      ...(f.detectedAt !== undefined ? { 'data-detected-at': String(f.detectedAt) } : {}),
      ...(f.healedAt !== undefined ? { 'data-healed-at': String(f.healedAt) } : {}),
      ...(top ? { 'data-root-cause': top } : {}),
      ...(f.rootCauseRank !== null ? { 'data-root-cause-rank': String(f.rootCauseRank) } : {}),
      ...(f.diagnosedKind ? { 'data-diagnosed-kind': f.diagnosedKind } : {}),
    },
    el(
      'td',
      {},
      el('span', { class: 'kind' }, el('i', { style: `background:${kindColor(f.kind)}` }), f.kind),
    ),
    cell(`${target} at t=${f.injectedAt}`),
    f.detectedAt !== undefined
      ? cell(`after ${f.detectedAt - f.injectedAt} s`, 'ok')
      : cell(f.endedAt !== null ? 'missed' : 'not yet', f.endedAt !== null ? 'bad' : 'pending'),
    top
      ? f.rootCauseRank === 1
        ? cell(top, 'ok', rightMark())
        : cell(`${top} (injected one ${f.rootCauseRank ? `#${f.rootCauseRank}` : 'unranked'})`, 'bad')
      : cell('…', 'pending'),
    f.diagnosedKind
      ? f.diagnosedKind === f.kind
        ? cell(f.diagnosedKind, 'ok', rightMark())
        : cell(f.diagnosedKind, 'bad')
      : cell(f.diagnosedAt !== undefined ? 'unclear' : '…', 'pending'),
    f.healedAt !== undefined
      ? cell(`by ${f.healedBy} after ${f.healedAt - (f.detectedAt ?? f.injectedAt)} s`, 'ok')
      : cell(f.endedAt !== null ? 'ended by itself' : 'not yet', 'pending'),
  );
  return row;
}
