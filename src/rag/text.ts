/**
 * Text normalisation shared by the lexical index and the hashed embedder: lower-case word
 * tokens, English stop words removed, a light suffix stemmer so "crashed", "crashes" and
 * "crashing" meet at "crash", and abbreviations and spellings of one word brought to one term
 * ({@link OPS_ALIASES}: "tx" is "transmit", "pvc" a "persistentvolumeclaim"). Deliberately
 * small: a full Porter stemmer bought nothing measurable on either query set (operator
 * sentences are short) and would be one more thing to keep identical across runtimes.
 */

/** Bump whenever tokenisation changes: embedder ids include it, so stored vectors get rebuilt. */
export const TEXT_VERSION = 5;

/**
 * One word, its abbreviations and other spellings: `canonical: 'variant variant ...'`. General
 * operations vocabulary (kubectl's short names, the abbreviations of network and system
 * metrics), not the wording of any evaluation query. Left out after trying them on the dev
 * halves of both query sets and in the main job: words the shipped runbooks and the loop's
 * descriptions already use in several forms (configuration for config, cert for certificate,
 * nic for interface, db for database, received for receive, utilisation, sync, evict, expire),
 * which moved the engine's citations and the project's queries for no gain on the public ones.
 */
export const OPS_ALIASES: Readonly<Record<string, string>> = {
  kubernetes: 'k8s kube',
  service: 'svc',
  daemonset: 'ds daemonsets',
  statefulset: 'sts statefulsets',
  replicaset: 'rs replicasets',
  namespace: 'ns namespaces',
  configmap: 'cm configmaps',
  persistentvolume: 'pv pvs persistentvolumes',
  persistentvolumeclaim: 'pvc pvcs persistentvolumeclaims',
  hpa: 'horizontalpodautoscaler horizontalpodautoscalers',
  cronjob: 'cj cronjobs',
  serviceaccount: 'sa serviceaccounts',
  certificatesigningrequest: 'csr csrs certificatesigningrequests',
  customresourcedefinition: 'crd crds customresourcedefinitions',
  memory: 'mem',
  filesystem: 'fs filesystems',
  transmit: 'tx xmit transmitted transmitting',
  receive: 'rx recv',
  interface: 'iface ifaces',
  config: 'cfg conf',
  error: 'err errs',
  packet: 'pkt pkts',
  notification: 'notify notified notifies',
};

const STOP_WORDS = new Set(
  (
    'a about above after again all also am an and any are as at be because been before being ' +
    'below between both but by can could did do does doing down during each either else even ' +
    'ever every everything anything something few for from further get gets got had has have having he her here hers him his ' +
    'how i if in into is it its itself just let me more most much my no nor not now of off on ' +
    'once one only or other our ours out over own same she should so some still such suspect ' +
    'suspected than that the their theirs them then there these they this those though through ' +
    'to too under until up us very via was we were what when where whether which while who whom ' +
    'why will with within without would yet you your yours'
  ).split(' '),
);
// "down", "up", "out", "no" and "not" matter in operations ("link down", "out of memory",
// "no space left") but appear in almost every runbook too; they stay stop words for ranking and
// the thesaurus gives the meaningful phrases their own concepts instead. "suspect(ed)" says how
// sure the writer is, not what they saw ("on the suspect node", "faulty NIC suspected"): it
// matched unrelated runbooks on their wording alone.

const TOKEN = /[\p{L}\p{N}]+/gu;
// A lower-case letter or digit followed by an upper-case letter: a camelCase word boundary.
const CAMEL = /(?<=[\p{Ll}\p{N}])(?=\p{Lu})/u;

/**
 * Lower-cases, splits on anything that is not a letter or digit, drops stop words, stems.
 * snake_case names fall apart at the underscores; a camelCase name ("queueDepth") is kept whole
 * and followed by its parts ("queuedepth", "queue", "depth"), so metric identifiers meet prose.
 */
export function tokenize(text: string): string[] {
  return words(text).map(term);
}

/** The index term of one lower-case word: its stem, or the stem its aliases share. */
export function term(word: string): string {
  const stemmed = stem(word);
  return ALIASES.get(stemmed) ?? stemmed;
}

/** The lower-case words {@link tokenize} keeps, before stemming (for showing matches). */
export function words(text: string): string[] {
  const kept: string[] = [];
  const keep = (word: string) => {
    if (!STOP_WORDS.has(word)) kept.push(word);
  };
  for (const [token] of text.matchAll(TOKEN)) {
    keep(token.toLowerCase());
    const parts = token.split(CAMEL);
    if (parts.length > 1) for (const part of parts) keep(part.toLowerCase());
  }
  return kept;
}

/** Strips common English inflections (plural -s/-es/-ies, -ed, -ing, -ly). "caches" keeps its e. */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses') || /(sh|tch|x|zz)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('ing') && word.length > 5) return undouble(word.slice(0, -3));
  if (word.endsWith('ed') && word.length > 4) return undouble(word.slice(0, -2));
  if (word.endsWith('ly') && word.length > 5) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) {
    return word.slice(0, -1);
  }
  return word;
}

// "dropped" -> "dropp" -> "drop"; keeps "ll", "ss" and "zz" ("stalled" -> "stall").
function undouble(stemmed: string): string {
  const n = stemmed.length;
  if (n >= 3 && stemmed[n - 1] === stemmed[n - 2] && !'lsz'.includes(stemmed[n - 1])) {
    return stemmed.slice(0, -1);
  }
  return stemmed;
}

const ALIASES: ReadonlyMap<string, string> = new Map(
  Object.entries(OPS_ALIASES).flatMap(([canonical, variants]) =>
    variants.split(' ').map((variant) => [stem(variant), stem(canonical)] as const),
  ),
);
