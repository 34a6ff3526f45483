/**
 * Labels for runbooks that do not declare them: which of the domain's fault kinds a runbook is
 * about and which actions it recommends, each with a confidence learnt from runbooks that are
 * labelled (by default the shipped ones).
 *
 * Fault kinds: the runbook's lead (title, alert names, the sections saying what the alert means
 * and what it does) is embedded with the hashed embedder, thesaurus concepts included, and
 * compared with every vector row of the labelled runbooks; a kind's score is its best cosine,
 * its margin that score minus the best other kind's. A logistic model of "the kind is right"
 * over (score, margin) is fitted by leave-one-out over the labelled runbooks, each described by
 * its title and symptoms, so the confidence is an estimated probability, not a similarity.
 *
 * Actions: the remedy sections are searched for the phrases of {@link ACTION_CUES}; an action's
 * confidence is how often, among the labelled runbooks whose remedies contain one of its
 * phrases, the runbook lists that action: (right + 1) / (fired + 2).
 *
 * Only labels with confidence >= {@link MIN_CONFIDENCE} are kept.
 */
import { ArgumentError } from '../errors.ts';
import { documentFields, type InferredLabels, type RagDocument } from './document.ts';
import { HashedEmbedder } from './hashed-embedder.ts';
import { vectorTexts } from './retriever.ts';
import { VectorIndex } from './vector-index.ts';
import { RUNBOOKS } from './runbooks.generated.ts';
import { stem } from './text.ts';
import { ACTION_CUES } from './thesaurus.ts';

/** Labels less likely than this to be right are left out: more likely right than wrong. */
export const MIN_CONFIDENCE = 0.5;

/** Options of {@link LabelInference.create}. */
export interface LabelInferenceOptions {
  /** Runbooks with declared faults and actions to learn from (default: the shipped ones). */
  labelled?: readonly RagDocument[];
  /** Embedder for the fault model (default: a {@link HashedEmbedder} with its defaults). */
  embedder?: HashedEmbedder;
}

/** A labelled runbook's vector row: which runbook, and its fault kinds. */
interface Row {
  readonly id: string;
  readonly faults: readonly string[];
}

/** A fitted fault model and action cue table (see the module comment). */
export class LabelInference {
  readonly #rows: readonly Row[];
  /** The rows' vectors, under their index in `#rows`. */
  readonly #vectors: VectorIndex;
  readonly #kinds: readonly string[];
  readonly #logit: readonly [number, number, number];
  readonly #cues: ReadonlyMap<string, readonly { action: string; words: readonly string[] }[]>;
  readonly #actionConfidence: ReadonlyMap<string, number>;

  private constructor(
    readonly embedder: HashedEmbedder,
    rows: Row[],
    vectors: VectorIndex,
    kinds: string[],
    logit: [number, number, number],
    cues: Map<string, { action: string; words: string[] }[]>,
    actionConfidence: Map<string, number>,
  ) {
    this.#rows = rows;
    this.#vectors = vectors;
    this.#kinds = kinds;
    this.#logit = logit;
    this.#cues = cues;
    this.#actionConfidence = actionConfidence;
  }

  /** Fits the models on `options.labelled` (default: the shipped runbooks). */
  static async create(options: LabelInferenceOptions = {}): Promise<LabelInference> {
    const labelled = options.labelled ?? RUNBOOKS;
    if (!Array.isArray(labelled) || labelled.length < 2)
      throw new ArgumentError('options.labelled', 'expected at least two labelled runbooks');
    const embedder = options.embedder ?? (await HashedEmbedder.create());
    const rows: Row[] = [];
    const vectors = await VectorIndex.create({ dim: embedder.dim });
    for (const doc of labelled) {
      if (doc.inferred)
        throw new ArgumentError('options.labelled', `${doc.id} has inferred labels, not declared ones`);
      const texts = vectorTexts(doc);
      const first = rows.length;
      for (const _ of texts) rows.push({ id: doc.id, faults: doc.faults });
      vectors.upsertMany(
        texts.map((_, j) => String(first + j)),
        embedder.embedSync(texts),
      );
    }
    const kinds = [...new Set(labelled.flatMap((d) => d.faults))].sort();
    const cues = cueTable();
    const inference = new LabelInference(embedder, rows, vectors, kinds, [0, 0, 0], cues, new Map());
    // Leave-one-out points: every labelled runbook against the others, one point per kind.
    const points: [number, number, number][] = [];
    for (const doc of labelled) {
      const q = embedder.embedSync([[doc.title, ...doc.symptoms].join('. ')]);
      for (const { score, margin, kind } of inference.#kindScores(q, doc.id)) {
        points.push([score, margin, doc.faults.includes(kind) ? 1 : 0]);
      }
    }
    const logit = fitLogistic(points);
    const actionConfidence = new Map<string, number>();
    const fired = new Map<string, { right: number; all: number }>();
    for (const doc of labelled) {
      for (const action of inference.#cuedActions(remedyText(doc))) {
        const f = fired.get(action) ?? { right: 0, all: 0 };
        f.all++;
        if (doc.actions.includes(action)) f.right++;
        fired.set(action, f);
      }
    }
    for (const action of new Set([...cues.values()].flat().map((c) => c.action))) {
      const f = fired.get(action) ?? { right: 0, all: 0 };
      actionConfidence.set(action, (f.right + 1) / (f.all + 2));
    }
    return new LabelInference(embedder, rows, vectors, kinds, logit, cues, actionConfidence);
  }

  /** The confidence the action cue table gives each action, measured on the labelled runbooks. */
  get actionConfidence(): ReadonlyMap<string, number> {
    return this.#actionConfidence;
  }

  /**
   * Infers fault kinds and actions for `doc` (whatever labels it has are not read), most
   * confident first, each with confidence >= {@link MIN_CONFIDENCE}. `declaredActions` (from the
   * runbook's own front matter) are kept as they are, with confidence 1, instead of inferred.
   */
  infer(doc: RagDocument, declaredActions?: readonly string[]): InferredLabels {
    const fields = documentFields({ ...doc, inferred: { faults: [], actions: [] } });
    const lead = [fields.title, fields.symptoms, fields.meaning, fields.impact].filter(Boolean).join('\n');
    const q = this.embedder.embedSync([
      fields.meaning || fields.impact ? lead : `${lead}\n${fields.body ?? ''}`,
    ]);
    const [a, b, c] = this.#logit;
    const faults = this.#kindScores(q)
      .map(({ kind, score, margin }) => ({ name: kind, confidence: sigmoid(a * score + b * margin + c) }))
      .filter((l) => l.confidence >= MIN_CONFIDENCE)
      .sort((x, y) => y.confidence - x.confidence || (x.name < y.name ? -1 : 1));
    const remedies = fields.mitigation ?? [fields.body, fields.diagnosis].filter(Boolean).join('\n');
    const actions = declaredActions
      ? declaredActions.map((name) => ({ name, confidence: 1 }))
      : [...this.#cuedActions(remedies)]
          .map((name) => ({ name, confidence: this.#actionConfidence.get(name) ?? 0 }))
          .filter((l) => l.confidence >= MIN_CONFIDENCE)
          .sort((x, y) => y.confidence - x.confidence || (x.name < y.name ? -1 : 1));
    return { faults, actions };
  }

  // Best cosine per kind over the labelled rows (leaving out runbook `exclude`), and its margin.
  #kindScores(q: Float32Array, exclude?: string): { kind: string; score: number; margin: number }[] {
    const best = new Map<string, number>();
    for (const hit of this.#vectors.search(q, this.#rows.length)) {
      const row = this.#rows[Number(hit.id)];
      if (row.id === exclude) continue;
      for (const kind of row.faults) if (!best.has(kind)) best.set(kind, hit.score);
    }
    const scores = this.#kinds.map((kind) => ({ kind, score: best.get(kind) ?? 0 }));
    return scores.map(({ kind, score }) => {
      let other = -Infinity;
      for (const s of scores) if (s.kind !== kind && s.score > other) other = s.score;
      return { kind, score, margin: score - (Number.isFinite(other) ? other : 0) };
    });
  }

  // The actions whose cue phrases occur in `text`.
  #cuedActions(text: string): Set<string> {
    const words = cueWords(text);
    const found = new Set<string>();
    words.forEach((word, i) => {
      for (const cue of this.#cues.get(word) ?? []) {
        if (cue.words.every((w, j) => words[i + j] === w)) found.add(cue.action);
      }
    });
    return found;
  }
}

/** The remedy text of a labelled runbook: its remedy sections, else its whole body. */
function remedyText(doc: RagDocument): string {
  const fields = documentFields(doc);
  return fields.mitigation ?? fields.body ?? '';
}

// Lower-case stemmed words with nothing dropped, so that phrases keep their small words.
function cueWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).map(stem);
}

function cueTable(): Map<string, { action: string; words: string[] }[]> {
  const table = new Map<string, { action: string; words: string[] }[]>();
  for (const [action, phrases] of Object.entries(ACTION_CUES)) {
    for (const phrase of phrases.split(',')) {
      const words = cueWords(phrase);
      if (words.length === 0) continue;
      const list = table.get(words[0]) ?? [];
      list.push({ action, words });
      table.set(words[0], list);
    }
  }
  return table;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Logistic regression of y on (x1, x2) with an intercept, by Newton's method, with a small ridge
 * penalty on the two slopes so that separable data still gives finite weights.
 */
function fitLogistic(points: readonly [number, number, number][]): [number, number, number] {
  const RIDGE = 1e-2;
  const w = [0, 0, 0];
  for (let iteration = 0; iteration < 50; iteration++) {
    const gradient = [RIDGE * w[0], RIDGE * w[1], 0];
    const hessian = [
      [RIDGE, 0, 0],
      [0, RIDGE, 0],
      [0, 0, 1e-9],
    ];
    for (const [x1, x2, y] of points) {
      const x = [x1, x2, 1];
      const p = sigmoid(w[0] * x1 + w[1] * x2 + w[2]);
      for (let i = 0; i < 3; i++) {
        gradient[i] += (p - y) * x[i];
        for (let j = 0; j < 3; j++) hessian[i][j] += p * (1 - p) * x[i] * x[j];
      }
    }
    const step = solve3(hessian, gradient);
    for (let i = 0; i < 3; i++) w[i] -= step[i];
    if (Math.hypot(...step) < 1e-9) break;
  }
  return [w[0], w[1], w[2]];
}

// Solves the 3x3 system m x = v by Gaussian elimination with partial pivoting.
function solve3(m: number[][], v: number[]): number[] {
  const a = m.map((row, i) => [...row, v[i]]);
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let r = 0; r < 3; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let c = col; c < 4; c++) a[r][c] -= f * a[col][c];
    }
  }
  return a.map((row, i) => row[3] / row[i]);
}
