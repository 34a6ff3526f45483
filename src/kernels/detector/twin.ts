/**
 * The per-point arithmetic of the default detector, in TypeScript: the twin of
 * assembly/detector.ts and its test oracle. It works on the same flat state block.
 *
 * Three complementary views of each point are fused:
 * - pattern novelty (an adaptive-resonance memory): the last `FEATURE_DIMS * bucket` points,
 *   averaged in buckets (f32, relative to the first value), are matched against remembered f32
 *   prototypes (kept sorted by first coordinate, see `StateLayout`) by the largest coordinate
 *   gap, measured in units of the range seen so far. A gap
 *   above the vigilance makes a new prototype (replacing the least recently matched); a smaller
 *   one pulls the match closer.
 * - magnitude: the z-score of the value against a slow running mean and variance, updated with
 *   deviations clipped at `zClip` standard deviations (at `zFloor` during the quiet period after
 *   an alarm, so an ongoing event barely moves the baseline).
 * - rate of change: the first difference `x - previous x`, standardised by its own running root
 *   mean square (same smoothing and clipping as the magnitude's variance), for a jump far larger
 *   than the usual step even where the level it lands on is familiar.
 * - persistence: a two-sided CUSUM of the same standardised deviations (clipped at
 *   `CUSUM_CLIP`, less `cusumSlack` per point), for shifts that stay inside the range seen so far
 *   (e.g. below an old spike) but last.
 * Each raw signal is calibrated online into a tail probability against its own history (a
 * histogram over quarter octaves with exponential forgetting), and scored as surprise
 * -ln(p) / ln(memory), capped at 1. Pattern, magnitude and rate of change score only when the
 * point created a new pattern category or broke out of the recent range (its edges relax towards
 * the mean at `rangeDecay` per point) by more than `breakout` of its width (so a large but
 * familiar swing is not news), with the largest of their surprises (magnitude's weighted by
 * `zWeight`, rate of change's by 1 like the pattern's); magnitude and rate of change count only
 * from `zFloor` standard deviations on; persistence scores only while the CUSUM exceeds
 * `cusumGate`. After an alarm the detector is quiet for `refractory` points and
 * the CUSUM restarts: one event, one alarm.
 *
 * Non-finite values or timestamps, and timestamps that go back in time, are rejected: they
 * score 0, leave the state untouched and are counted in the `rejected` slot (`StateLayout`).
 * A lone absurd value (`ABSURD_REACH`) is scored like any other but kept out of the ranges, so
 * a later anomaly is caught again as soon as the quiet period after its alarm ends.
 */
import {
  ABSURD_REACH,
  AGE_MASK,
  CAL_BINS,
  CAL_RESCALE,
  CLIP_AFTER,
  CUSUM_CLIP,
  FEATURE_DIMS,
  S,
  VARIANCE_FLOOR,
  type DerivedConstants,
  type DetectorParams,
  type StateLayout,
} from './params.ts';

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
// Little-endian word order holds on every target runtime (x86, ARM, wasm).
const HI = 1;

/** Calibrator bin of a non-negative signal: quarter octaves from the float's exponent bits. */
export function calibratorBin(d: number): number {
  if (!(d > 0)) return 0;
  bits[0] = d;
  const hi = words[HI];
  const exponent = (hi >>> 20) & 0x7ff;
  const b = (exponent - 1023 + 16) * 4 + ((hi >>> 18) & 3);
  return b < 0 ? 0 : b >= CAL_BINS ? CAL_BINS - 1 : b;
}

/**
 * Tail probability of bin `b` of a calibrator whose bin i is f32 number `bins + stride * i` (stride
 * 2 for the interleaved z and rate calibrators, see `StateLayout`), before the new observation
 * joins the histogram. The summation order (four f64 accumulators, bin i into (i - b) % 4, then
 * (a0 + a2) + (a1 + a3)) is the kernel's SIMD order, so twin and kernel agree to the bit.
 */
function tail(b32: Float32Array, bins: number, b: number, weight: number, total: number, stride = 1): number {
  let a0 = 0,
    a1 = 0,
    a2 = 0,
    a3 = 0;
  let i = b;
  for (; i + 4 <= CAL_BINS; i += 4) {
    a0 += b32[bins + stride * i];
    a1 += b32[bins + stride * (i + 1)];
    a2 += b32[bins + stride * (i + 2)];
    a3 += b32[bins + stride * (i + 3)];
  }
  if (i < CAL_BINS) a0 += b32[bins + stride * i];
  if (i + 1 < CAL_BINS) a1 += b32[bins + stride * (i + 1)];
  if (i + 2 < CAL_BINS) a2 += b32[bins + stride * (i + 2)];
  return (a0 + a2 + (a1 + a3) + weight) / (total + weight);
}

/**
 * Adds one observation to the pattern calibrator (bin `b` of the f32 bins at `bins`). Weights
 * grow instead of old counts shrinking.
 */
function learn(
  s: Float64Array,
  b32: Float32Array,
  bins: number,
  b: number,
  wSlot: number,
  tSlot: number,
  forgetting: number,
): void {
  const w = s[wSlot];
  b32[bins + b] += w;
  s[tSlot] += w;
  let next = w / forgetting;
  if (next > CAL_RESCALE) {
    rescale(b32, bins, CAL_BINS, next);
    s[tSlot] /= next;
    next = 1;
  }
  s[wSlot] = next;
}

/**
 * Adds one observation to each of the z, rate and CUSUM calibrators: they learn at every point, so
 * they share one weight and one total. `zr` is the interleaved z and rate block (see `StateLayout`).
 */
function learnShared(
  s: Float64Array,
  b32: Float32Array,
  base: number,
  zr: number,
  zBin: number,
  rateBin: number,
  cusum: number,
  cusumBin: number,
  forgetting: number,
): void {
  const w = s[base + S.zWeight];
  b32[zr + 2 * zBin] += w;
  b32[zr + 2 * rateBin + 1] += w;
  b32[cusum + cusumBin] += w;
  s[base + S.zTotal] += w;
  let next = w / forgetting;
  if (next > CAL_RESCALE) {
    rescale(b32, zr, 2 * CAL_BINS, next);
    rescale(b32, cusum, CAL_BINS, next);
    s[base + S.zTotal] /= next;
    next = 1;
  }
  s[base + S.zWeight] = next;
}

/** Divides `count` f32 bins from `bins` by `by`. */
function rescale(b32: Float32Array, bins: number, count: number, by: number): void {
  for (let i = 0; i < count; i++) b32[bins + i] /= by;
}

/** Starts the refractory period and restarts the CUSUM: whatever view raised it, the event is told. */
function alarm(s: Float64Array, base: number, p: DetectorParams): void {
  s[base + S.hold] = p.refractory + 1;
  s[base + S.cusumUp] = 0;
  s[base + S.cusumDown] = 0;
}

/** Initialises a fresh state block at `base` (the kernel's `init` does the same). */
export function initState(s: Float64Array, base: number, layout: StateLayout): void {
  s.fill(0, base, base + layout.length);
  s[base + S.patternWeight] = 1;
  s[base + S.zWeight] = 1;
}

const feature = new Float32Array(FEATURE_DIMS);

/** f32 index of coordinate 0 of prototype `q` (see `StateLayout`: coordinate j is 4j further). */
function entry(protos: number, q: number): number {
  return protos + 16 * (q >> 2) + (q & 3);
}

/**
 * Largest coordinate gap between `feature` and the prototype whose coordinate 0 is at f32 index
 * `o`, in f32 arithmetic (`fround` of a difference of two f32 values is the f32 difference: f64
 * carries more than twice f32's bits, so rounding twice is exact), as the kernel computes it.
 */
function gapTo(p32: Float32Array, o: number): number {
  let gap = 0;
  for (let j = 0; j < FEATURE_DIMS; j++) {
    const e = Math.abs(Math.fround(feature[j] - p32[o + 4 * j]));
    if (e > gap) gap = e;
  }
  return gap;
}

/**
 * Moves prototype `q` (and its last-match time) to where the prototypes are sorted by first
 * coordinate again, equal ones keeping their order, shifting the ones in between by one; returns
 * its new index.
 */
function reorder(
  p32: Float32Array,
  u32: Uint32Array,
  protos: number,
  lastMatch: number,
  used: number,
  q: number,
): number {
  const o = entry(protos, q);
  const c0 = p32[o],
    c1 = p32[o + 4],
    c2 = p32[o + 8],
    c3 = p32[o + 12];
  const age = u32[lastMatch + q];
  const from = q;
  while (q + 1 < used && p32[entry(protos, q + 1)] < c0) move(p32, u32, protos, lastMatch, q + 1, q++);
  if (q === from)
    while (q > 0 && p32[entry(protos, q - 1)] > c0) move(p32, u32, protos, lastMatch, q - 1, q--);
  if (q !== from) {
    const t = entry(protos, q);
    p32[t] = c0;
    p32[t + 4] = c1;
    p32[t + 8] = c2;
    p32[t + 12] = c3;
    u32[lastMatch + q] = age;
  }
  return q;
}

/** Copies prototype `from` (with its last-match time) over prototype `to`. */
function move(
  p32: Float32Array,
  u32: Uint32Array,
  protos: number,
  lastMatch: number,
  from: number,
  to: number,
): void {
  const a = entry(protos, from);
  const b = entry(protos, to);
  p32[b] = p32[a];
  p32[b + 4] = p32[a + 4];
  p32[b + 8] = p32[a + 8];
  p32[b + 12] = p32[a + 12];
  u32[lastMatch + to] = u32[lastMatch + from];
}

/**
 * Feeds one point to the series whose state block starts at `base`; returns its score in [0, 1].
 * `p32` and `u32` are f32 and u32 views of the same buffer as `s` (see `StateLayout`).
 */
export function updateState(
  s: Float64Array,
  p32: Float32Array,
  u32: Uint32Array,
  base: number,
  p: DetectorParams,
  layout: StateLayout,
  k: DerivedConstants,
  ts: number,
  x: number,
): number {
  const t = s[base + S.count];
  if (!Number.isFinite(x) || !Number.isFinite(ts) || (t > 0 && ts < s[base + S.lastTs])) {
    s[base + layout.rejected] += 1;
    return 0;
  }
  s[base + S.lastTs] = ts;
  s[base + S.count] = t + 1;
  if (t === 0) s[base + S.origin] = x;
  // Breakout: beyond the recent range, whose edges relax towards the running mean (before this
  // point) and then take in the point.
  let low = s[base + S.recentMin];
  let high = s[base + S.recentMax];
  const reach = p.breakout * (high - low);
  const breakout = t > 0 && (x > high + reach || x < low - reach);
  if (t === 0) low = high = x;
  else {
    const m = s[base + S.mean];
    high -= p.rangeDecay * (high - m);
    low += p.rangeDecay * (m - low);
  }
  // A lone absurd reading (see ABSURD_REACH; the point before it, still in the ring, was not
  // one) stays out of both ranges; a second one in a row is a new level and is taken in.
  const seenLow = s[base + S.min];
  const seenHigh = s[base + S.max];
  const far = ABSURD_REACH * (seenHigh - seenLow);
  let take = true;
  if (far > 0 && (x > seenHigh + far || x < seenLow - far)) {
    const previous = s[base + layout.ring + ((t - 1) % layout.window)];
    take = previous > seenHigh + far || previous < seenLow - far;
  }
  s[base + S.recentMin] = take && x < low ? x : low;
  s[base + S.recentMax] = take && x > high ? x : high;
  if (t === 0 || (take && x < seenLow)) s[base + S.min] = x;
  if (t === 0 || (take && x > seenHigh)) s[base + S.max] = x;
  const range = s[base + S.max] - s[base + S.min];
  const span = range > 0 ? range : 1;

  // Magnitude: z against the running mean and variance before this point.
  const a = Math.max(p.zAlpha, 1 / (t + 1));
  const mean = s[base + S.mean];
  const variance = s[base + S.variance];
  const d = x - mean;
  // The floor keeps a flat stretch from dividing by zero; it scales with the range, so the scores
  // do not depend on the series' unit or offset (an absolute or mean-relative one would).
  const floor = VARIANCE_FLOOR * range * range;
  const sd = Math.sqrt(variance + floor);
  const deviation = t > 0 && sd > 0 ? d / sd : 0;
  const z = Math.abs(deviation);
  // Winsorised update: one huge spike must not inflate the variance and hide the next anomaly.
  // During the quiet period after an alarm the points belong to the event just told, so they
  // count at most as a `zFloor` deviation: an event that lasts must not widen the baseline and
  // mask the next one (e.g. a second dip soon after a first).
  const clip = s[base + S.hold] > 0 ? p.zFloor : p.zClip;
  const limit = t > CLIP_AFTER ? clip * Math.sqrt(variance) : Infinity;
  const dc = d > limit ? limit : d < -limit ? -limit : d;
  s[base + S.mean] = mean + a * dc;
  s[base + S.variance] = (1 - a) * (variance + a * dc * dc);
  const zBin = calibratorBin(z);

  // Rate of change: the first difference (the previous point is still in the ring) against its
  // running mean square, updated like the magnitude's variance (winsorised at `zClip`). Its mean is
  // taken as 0: a series that does not drift without end has first differences averaging 0.
  const ringAt = base + layout.ring;
  const step = t > 0 ? x - s[ringAt + ((t - 1) % layout.window)] : 0;
  const rateVariance = s[base + S.rateVariance];
  const rateSd = Math.sqrt(rateVariance + floor);
  const rate = t > 1 && rateSd > 0 ? Math.abs(step) / rateSd : 0;
  if (t > 0) {
    const ar = Math.max(p.zAlpha, 1 / t);
    const rateLimit = t > CLIP_AFTER ? p.zClip * Math.sqrt(rateVariance) : Infinity;
    const sc = step > rateLimit ? rateLimit : step < -rateLimit ? -rateLimit : step;
    s[base + S.rateVariance] = (1 - ar) * (rateVariance + ar * sc * sc);
  }
  const rateBin = calibratorBin(rate);

  // Persistence: a two-sided CUSUM of the clipped standardised deviation. It measures a shift by
  // how long it lasts, not by where it sits in the range, so an old spike cannot hide it.
  const zc = deviation > CUSUM_CLIP ? CUSUM_CLIP : deviation < -CUSUM_CLIP ? -CUSUM_CLIP : deviation;
  const rise = s[base + S.cusumUp] + zc - p.cusumSlack;
  const fall = s[base + S.cusumDown] - zc - p.cusumSlack;
  const up = rise > 0 ? rise : 0;
  const down = fall > 0 ? fall : 0;
  s[base + S.cusumUp] = up;
  s[base + S.cusumDown] = down;
  const cusum = up > down ? up : down;
  const cusumBin = calibratorBin(cusum);

  // Pattern novelty once the window is full.
  const W = layout.window;
  const ring = ringAt;
  const head = t % W;
  s[ring + head] = x;
  let created = false;
  let patternBin = -1;
  if (t >= W - 1) {
    // The oldest point of the window sits just after the newest one. Features are taken relative
    // to the series' first value, so f32 keeps their precision relative to the range, whatever
    // the series' offset.
    const origin = s[base + S.origin];
    let at = head + 1 === W ? 0 : head + 1;
    for (let j = 0; j < FEATURE_DIMS; j++) {
      let sum = 0;
      for (let i = 0; i < p.bucket; i++) {
        sum += s[ring + at];
        at = at + 1 === W ? 0 : at + 1;
      }
      feature[j] = sum / p.bucket - origin;
    }
    const protos = 2 * (base + layout.protos);
    const lastMatch = 2 * (base + layout.lastMatch);
    const used = s[base + S.used];
    // Nearest prototype by the largest coordinate gap, ties to the lowest index. The last match
    // gives a tight first bound; the entries are sorted by first coordinate, so each walk away
    // from it stops at the first entry whose first coordinate alone is farther than the best gap.
    let match = -1;
    let best = Infinity;
    if (used > 0) {
      match = s[base + S.lastSlot] < used ? s[base + S.lastSlot] : 0;
      best = gapTo(p32, entry(protos, match));
      const start = match;
      for (let q = start + 1; q < used; q++) {
        if (Math.fround(p32[entry(protos, q)] - feature[0]) > best) break;
        const gap = gapTo(p32, entry(protos, q));
        if (gap < best) {
          best = gap;
          match = q;
        }
      }
      for (let q = start - 1; q >= 0; q--) {
        if (Math.fround(feature[0] - p32[entry(protos, q)]) > best) break;
        const gap = gapTo(p32, entry(protos, q));
        if (gap <= best) {
          best = gap;
          match = q;
        }
      }
    }
    const novelty = used === 0 ? 1 : Math.min(1, best / span);
    created = novelty > p.vigilance;
    let slot = match;
    if (created) {
      slot = used;
      if (used < p.prototypes) s[base + S.used] = used + 1;
      else {
        // The least recently matched: the largest age, in wrapping 30-bit arithmetic.
        const now = t & AGE_MASK;
        slot = 0;
        let oldest = (now - u32[lastMatch]) & AGE_MASK;
        for (let q = 1; q < p.prototypes; q++) {
          const age = (now - u32[lastMatch + q]) & AGE_MASK;
          if (age > oldest) {
            oldest = age;
            slot = q;
          }
        }
      }
      for (let j = 0; j < FEATURE_DIMS; j++) p32[entry(protos, slot) + 4 * j] = feature[j];
    } else {
      for (let j = 0; j < FEATURE_DIMS; j++) {
        const o = entry(protos, match) + 4 * j;
        p32[o] = p32[o] + p.learningRate * (feature[j] - p32[o]);
      }
    }
    u32[lastMatch + slot] = t & AGE_MASK;
    s[base + S.lastSlot] = reorder(p32, u32, protos, lastMatch, s[base + S.used], slot);
    patternBin = calibratorBin(novelty);
  }

  let score = 0;
  // During the refractory period the score is 0 whatever the surprise, so it is not computed.
  // A CUSUM beyond the gate scores its own surprise.
  if (cusum > p.cusumGate && s[base + S.hold] === 0) {
    const pc = tail(p32, 2 * (base + layout.cusumBins), cusumBin, s[base + S.zWeight], s[base + S.zTotal]);
    const surprise = -Math.log(pc) / k.scale;
    score = surprise < 1 ? surprise : 1;
    if (pc <= k.patternAlarmP) alarm(s, base, p);
  }
  if ((created || breakout) && s[base + S.hold] === 0) {
    const pb = 2 * (base + layout.patternBins);
    const zb = 2 * (base + layout.zBins);
    const pp =
      patternBin >= 0 ? tail(p32, pb, patternBin, s[base + S.patternWeight], s[base + S.patternTotal]) : 1;
    const pz = z >= p.zFloor ? tail(p32, zb, zBin, s[base + S.zWeight], s[base + S.zTotal], 2) : 1;
    const pr = rate >= p.zFloor ? tail(p32, zb + 1, rateBin, s[base + S.zWeight], s[base + S.zTotal], 2) : 1;
    const surprise = Math.max(-Math.log(pp), p.zWeight * -Math.log(pz), -Math.log(pr)) / k.scale;
    if (surprise > score) score = surprise < 1 ? surprise : 1;
    if (pp <= k.patternAlarmP || pz <= k.zAlarmP || pr <= k.patternAlarmP) alarm(s, base, p);
  }
  if (s[base + S.hold] > 0) s[base + S.hold] -= 1;
  if (patternBin >= 0) {
    learn(
      s,
      p32,
      2 * (base + layout.patternBins),
      patternBin,
      base + S.patternWeight,
      base + S.patternTotal,
      p.forgetting,
    );
  }
  learnShared(
    s,
    p32,
    base,
    2 * (base + layout.zBins),
    zBin,
    rateBin,
    2 * (base + layout.cusumBins),
    cusumBin,
    p.forgetting,
  );
  // The bins just hit: the likeliest next ones, which the kernel loads early for the next point.
  s[base + S.hints] = patternBin + 1 + 256 * zBin + 65536 * cusumBin;
  return score;
}
