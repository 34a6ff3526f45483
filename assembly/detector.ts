// Default anomaly detector kernel: the per-point arithmetic of the resonance detector for one
// series or for many series at once. Each series owns a flat f64 state block (layout in
// src/kernels/detector/params.ts); the TS twin src/kernels/detector/twin.ts performs the
// same operations in the same order, so both give the same scores. The host owns memory above
// heapBase(): a params block, the state blocks and the input/output arrays.
import { alignedHeapBase } from './lib/heap';

// Params block (f64 slots), written by the host from DetectorParams and the state layout.
const P_BUCKET = 0;
const P_PROTOTYPES = 1;
const P_VIGILANCE = 2;
const P_LEARNING_RATE = 3;
const P_FORGETTING = 4;
const P_Z_ALPHA = 5;
const P_Z_WEIGHT = 6;
const P_REFRACTORY = 7;
const P_SCALE = 8;
const P_PATTERN_ALARM_P = 9;
const P_Z_ALARM_P = 10;
const P_WINDOW = 11;
const P_RING = 12;
const P_PROTOS = 13;
const P_LAST_MATCH = 14;
const P_PATTERN_BINS = 15;
const P_Z_BINS = 16;
const P_LENGTH = 17;
const P_BREAKOUT = 18;
const P_Z_CLIP = 19;
const P_CUSUM_SLACK = 20;
const P_CUSUM_GATE = 21;
const P_CUSUM_BINS = 22;
const P_Z_FLOOR = 23;
const P_RANGE_DECAY = 24;
const P_REJECTED = 25;

// Points after which z-score deviations are clipped (CLIP_AFTER in params.ts).
const CLIP_AFTER: f64 = 30;
// Clip of the standardised deviations entering the CUSUM (CUSUM_CLIP in params.ts).
const CUSUM_CLIP: f64 = 4;
// Reach beyond the range seen so far, in widths, of an absurd reading (ABSURD_REACH in params.ts).
const ABSURD_REACH: f64 = 1e4;
// Variance floor, relative to the squared range seen so far (VARIANCE_FLOOR in params.ts).
const VARIANCE_FLOOR: f64 = 1e-12;

// Scalar state slots (same as S in params.ts).
const S_COUNT = 0;
const S_LAST_TS = 1;
const S_MIN = 2;
const S_MAX = 3;
const S_MEAN = 4;
const S_VARIANCE = 5;
const S_HOLD = 6;
const S_USED = 7;
// Running mean square of the first difference (the rejection count lives at P_REJECTED).
const S_RATE_VARIANCE = 8;
const S_PATTERN_WEIGHT = 9;
const S_PATTERN_TOTAL = 10;
const S_Z_WEIGHT = 11;
const S_Z_TOTAL = 12;
const S_LAST_SLOT = 13;
const S_ORIGIN = 14;
const S_CUSUM_UP = 15;
const S_CUSUM_DOWN = 16;
const S_HINTS = 17;
const S_RECENT_MIN = 18;
const S_RECENT_MAX = 19;

const DIMS = 4;
const CAL_BINS = 96;
// Weight past which a calibrator is rescaled (CAL_RESCALE in params.ts).
const CAL_RESCALE: f64 = 1e30;
// Last-match times are kept modulo 2^30 (AGE_MASK in params.ts).
const AGE_MASK: u32 = 0x3fffffff;

/** First 16-byte aligned address the host may use. */
export function heapBase(): usize {
  return alignedHeapBase();
}

// @ts-ignore: decorator
@inline
function param(params: usize, slot: i32): f64 {
  return load<f64>(params + (<usize>slot << 3));
}

// @ts-ignore: decorator
@inline
function slotPtr(state: usize, slot: i32): usize {
  return state + (<usize>slot << 3);
}

// @ts-ignore: decorator
@inline
function get(state: usize, slot: i32): f64 {
  return load<f64>(state + (<usize>slot << 3));
}

// @ts-ignore: decorator
@inline
function set(state: usize, slot: i32, value: f64): void {
  store<f64>(state + (<usize>slot << 3), value);
}

/** Quarter-octave bin of a non-negative signal, from the exponent and top mantissa bits. */
function calibratorBin(d: f64): i32 {
  if (!(d > 0)) return 0;
  const hi = <u32>(reinterpret<u64>(d) >> 32);
  const exponent = <i32>((hi >>> 20) & 0x7ff);
  const b = (exponent - 1023 + 16) * 4 + <i32>((hi >>> 18) & 3);
  return b < 0 ? 0 : b >= CAL_BINS ? CAL_BINS - 1 : b;
}

/**
 * Tail probability of bin `b` of a calibrator whose bin i is the f32 at `bins + (i << shift)`
 * (shift 2: contiguous; 3: the interleaved z and rate calibrators). The bins from `b` up are
 * summed in f64 into four accumulators, bin i into accumulator (i - b) % 4, combined as
 * (a0 + a2) + (a1 + a3): the order two f64x2 lanes give, which the scalar build and the TS twin
 * follow too, so all three agree to the bit.
 */
function tail(bins: usize, b: i32, weight: f64, total: f64, shift: i32): f64 {
  let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
  let i = b;
  if (ASC_FEATURE_SIMD) {
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    for (; i + 4 <= CAL_BINS; i += 4) {
      let v: v128;
      if (shift == 2) v = v128.load(bins + (<usize>i << 2));
      else {
        // Every other f32 of two loads: bins i .. i + 3 of this calibrator.
        const at = bins + (<usize>i << 3);
        v = v128.shuffle<f32>(v128.load(at), v128.load(at, 16), 0, 2, 4, 6);
      }
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
    }
    a0 = f64x2.extract_lane(lo, 0);
    a1 = f64x2.extract_lane(lo, 1);
    a2 = f64x2.extract_lane(hi, 0);
    a3 = f64x2.extract_lane(hi, 1);
  } else {
    for (; i + 4 <= CAL_BINS; i += 4) {
      a0 += <f64>load<f32>(bins + (<usize>i << shift));
      a1 += <f64>load<f32>(bins + (<usize>(i + 1) << shift));
      a2 += <f64>load<f32>(bins + (<usize>(i + 2) << shift));
      a3 += <f64>load<f32>(bins + (<usize>(i + 3) << shift));
    }
  }
  if (i < CAL_BINS) a0 += <f64>load<f32>(bins + (<usize>i << shift));
  if (i + 1 < CAL_BINS) a1 += <f64>load<f32>(bins + (<usize>(i + 1) << shift));
  if (i + 2 < CAL_BINS) a2 += <f64>load<f32>(bins + (<usize>(i + 2) << shift));
  const sum = (a0 + a2) + (a1 + a3);
  return (sum + weight) / (total + weight);
}

/**
 * Adds one observation to the pattern calibrator, bin `b` of the f32 bins at `bins`. Weights grow
 * instead of old counts shrinking.
 */
function learn(state: usize, bins: usize, b: i32, forgetting: f64): void {
  const w = get(state, S_PATTERN_WEIGHT);
  addTo(bins + (<usize>b << 2), w);
  set(state, S_PATTERN_TOTAL, get(state, S_PATTERN_TOTAL) + w);
  let next = w / forgetting;
  if (next > CAL_RESCALE) {
    rescale(bins, CAL_BINS, next);
    set(state, S_PATTERN_TOTAL, get(state, S_PATTERN_TOTAL) / next);
    next = 1;
  }
  set(state, S_PATTERN_WEIGHT, next);
}

/**
 * Adds one observation to each of the z, rate and CUSUM calibrators, which share a weight and a
 * total (see the TS twin); `zr` is the interleaved z and rate block.
 */
function learnShared(state: usize, zr: usize, zBin: i32, rateBin: i32, cusum: usize, cusumBin: i32, forgetting: f64): void {
  const w = get(state, S_Z_WEIGHT);
  addTo(zr + (<usize>zBin << 3), w);
  addTo(zr + 4 + (<usize>rateBin << 3), w);
  addTo(cusum + (<usize>cusumBin << 2), w);
  set(state, S_Z_TOTAL, get(state, S_Z_TOTAL) + w);
  let next = w / forgetting;
  if (next > CAL_RESCALE) {
    rescale(zr, 2 * CAL_BINS, next);
    rescale(cusum, CAL_BINS, next);
    set(state, S_Z_TOTAL, get(state, S_Z_TOTAL) / next);
    next = 1;
  }
  set(state, S_Z_WEIGHT, next);
}

/** Adds `w` to the f32 bin at `at` (in f64, then rounded, as the twin). */
// @ts-ignore: decorator
@inline
function addTo(at: usize, w: f64): void {
  store<f32>(at, <f32>(<f64>load<f32>(at) + w));
}

/** Divides `count` f32 bins from `bins` by `by`. */
function rescale(bins: usize, count: i32, by: f64): void {
  for (let i = 0; i < count; i++) {
    const p = bins + (<usize>i << 2);
    store<f32>(p, <f32>(<f64>load<f32>(p) / by));
  }
}

/** Byte address of coordinate 0 of prototype `q`: groups of four, one line each (see params.ts). */
// @ts-ignore: decorator
@inline
function entry(protos: usize, q: i32): usize {
  return protos + (<usize>(q >> 2) << 6) + (<usize>(q & 3) << 2);
}

/** Largest coordinate gap between the feature (f0..f3) and the prototype at `o`, in f32. */
// @ts-ignore: decorator
@inline
function gapTo(o: usize, f0: f32, f1: f32, f2: f32, f3: f32): f32 {
  let gap: f32 = abs<f32>(f0 - load<f32>(o));
  let e = abs<f32>(f1 - load<f32>(o, 16));
  if (e > gap) gap = e;
  e = abs<f32>(f2 - load<f32>(o, 32));
  if (e > gap) gap = e;
  e = abs<f32>(f3 - load<f32>(o, 48));
  if (e > gap) gap = e;
  return gap;
}

/**
 * Nearest of the `used` prototypes (sorted by first coordinate) to the feature by the largest
 * coordinate gap, ties to the lowest index, starting from prototype `start`; returns the index,
 * and the gap in `nearestGap`. Walking away from `start` stops at the first prototype (the SIMD
 * build: group of four) whose first coordinate alone is farther than the best gap: every one
 * beyond is farther still, so the result is a full scan's, as in the TS twin.
 */
let nearestGap: f32 = 0;
function nearest(protos: usize, used: i32, start: i32, f0: f32, f1: f32, f2: f32, f3: f32): i32 {
  let match = start;
  let best: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    const v0 = f32x4.splat(f0);
    const v1 = f32x4.splat(f1);
    const v2 = f32x4.splat(f2);
    const v3 = f32x4.splat(f3);
    const groups = (used + 3) >> 2;
    const first = start >> 2;
    // The start's group first: its lowest nearest lane is the lowest index so far, whether or not
    // it is the start. Then up, then down, taking a group's minimum only if a lane can win.
    let at = protos + (<usize>first << 6);
    let gaps = gaps4(at, first, used, v0, v1, v2, v3);
    best = smallest(gaps);
    match = (first << 2) + ctz<i32>(i32x4.bitmask(f32x4.eq(gaps, f32x4.splat(best))));
    for (let g = first + 1; g < groups; g++) {
      at = protos + (<usize>g << 6);
      if (load<f32>(at) - f0 > best) break;
      gaps = gaps4(at, g, used, v0, v1, v2, v3);
      if (!v128.any_true(f32x4.lt(gaps, f32x4.splat(best)))) continue;
      best = smallest(gaps);
      match = (g << 2) + ctz<i32>(i32x4.bitmask(f32x4.eq(gaps, f32x4.splat(best))));
    }
    for (let g = first - 1; g >= 0; g--) {
      at = protos + (<usize>g << 6);
      if (f0 - load<f32>(at, 12) > best) break;
      gaps = gaps4(at, g, used, v0, v1, v2, v3);
      if (!v128.any_true(f32x4.le(gaps, f32x4.splat(best)))) continue;
      best = smallest(gaps);
      match = (g << 2) + ctz<i32>(i32x4.bitmask(f32x4.eq(gaps, f32x4.splat(best))));
    }
  } else {
    best = gapTo(entry(protos, start), f0, f1, f2, f3);
    for (let q = start + 1; q < used; q++) {
      const o = entry(protos, q);
      if (load<f32>(o) - f0 > best) break;
      const gap = gapTo(o, f0, f1, f2, f3);
      if (gap < best) {
        best = gap;
        match = q;
      }
    }
    for (let q = start - 1; q >= 0; q--) {
      const o = entry(protos, q);
      if (f0 - load<f32>(o) > best) break;
      const gap = gapTo(o, f0, f1, f2, f3);
      if (gap <= best) {
        best = gap;
        match = q;
      }
    }
  }
  nearestGap = best;
  return match;
}

/** The four gaps of group `g` (lanes past `used` are +Infinity). */
// @ts-ignore: decorator
@inline
function gaps4(at: usize, g: i32, used: i32, v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  let gaps = f32x4.abs(f32x4.sub(v0, v128.load(at)));
  gaps = f32x4.max(gaps, f32x4.abs(f32x4.sub(v1, v128.load(at, 16))));
  gaps = f32x4.max(gaps, f32x4.abs(f32x4.sub(v2, v128.load(at, 32))));
  gaps = f32x4.max(gaps, f32x4.abs(f32x4.sub(v3, v128.load(at, 48))));
  const left = used - (g << 2);
  if (left < 4) gaps = v128.bitselect(gaps, f32x4.splat(Infinity), i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(left)));
  return gaps;
}

/** Smallest of four gaps. */
// @ts-ignore: decorator
@inline
function smallest(gaps: v128): f32 {
  const half = f32x4.min(gaps, v128.shuffle<f32>(gaps, gaps, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.min(half, v128.shuffle<f32>(half, half, 1, 0, 3, 2)), 0);
}

/**
 * Moves prototype `q` (and its last-match time) to where the prototypes are sorted by first
 * coordinate again, equal ones keeping their order, shifting the ones in between by one; returns
 * its new index (see the TS twin).
 */
function reorder(protos: usize, lastMatch: usize, used: i32, q: i32): i32 {
  const o = entry(protos, q);
  const c0 = load<f32>(o);
  const c1 = load<f32>(o, 16);
  const c2 = load<f32>(o, 32);
  const c3 = load<f32>(o, 48);
  const age = load<u32>(lastMatch + (<usize>q << 2));
  const from = q;
  while (q + 1 < used && load<f32>(entry(protos, q + 1)) < c0) {
    move(protos, lastMatch, q + 1, q);
    q++;
  }
  if (q == from) {
    while (q > 0 && load<f32>(entry(protos, q - 1)) > c0) {
      move(protos, lastMatch, q - 1, q);
      q--;
    }
  }
  if (q != from) {
    const t = entry(protos, q);
    store<f32>(t, c0);
    store<f32>(t, c1, 16);
    store<f32>(t, c2, 32);
    store<f32>(t, c3, 48);
    store<u32>(lastMatch + (<usize>q << 2), age);
  }
  return q;
}

/** Copies prototype `from` (with its last-match time) over prototype `to`. */
// @ts-ignore: decorator
@inline
function move(protos: usize, lastMatch: usize, from: i32, to: i32): void {
  const a = entry(protos, from);
  const b = entry(protos, to);
  store<f32>(b, load<f32>(a));
  store<f32>(b, load<f32>(a, 16), 16);
  store<f32>(b, load<f32>(a, 32), 32);
  store<f32>(b, load<f32>(a, 48), 48);
  store<u32>(lastMatch + (<usize>to << 2), load<u32>(lastMatch + (<usize>from << 2)));
}

/** Moves the f32 prototype coordinate at `at` towards `f` (in f64, then rounded, as the twin). */
// @ts-ignore: decorator
@inline
function learnCoordinate(at: usize, f: f32, rate: f64): void {
  const p = <f64>load<f32>(at);
  store<f32>(at, <f32>(p + rate * (<f64>f - p)));
}

/** Starts the refractory period and restarts the CUSUM (see the TS twin). */
// @ts-ignore: decorator
@inline
function alarm(params: usize, state: usize): void {
  set(state, S_HOLD, param(params, P_REFRACTORY) + 1);
  set(state, S_CUSUM_UP, 0);
  set(state, S_CUSUM_DOWN, 0);
}

/** Resets `count` state blocks of `length` f64 slots each, starting at `states`. */
export function init(states: usize, count: i32, length: i32): void {
  for (let k = 0; k < count; k++) {
    const state = states + (<usize>k * <usize>length << 3);
    memory.fill(state, 0, <usize>length << 3);
    set(state, S_PATTERN_WEIGHT, 1);
    set(state, S_Z_WEIGHT, 1);
  }
}

/** One point for the series whose state is at `state`; returns its score in [0, 1]. */
function step(params: usize, state: usize, ts: f64, x: f64): f64 {
  const t = get(state, S_COUNT);
  if (!isFinite<f64>(x) || !isFinite<f64>(ts) || (t > 0 && ts < get(state, S_LAST_TS))) {
    const rejected = <i32>param(params, P_REJECTED);
    set(state, rejected, get(state, rejected) + 1);
    return 0;
  }
  set(state, S_LAST_TS, ts);
  set(state, S_COUNT, t + 1);
  if (t == 0) set(state, S_ORIGIN, x);
  // Breakout: beyond the recent range, whose edges relax towards the mean (see the TS twin).
  let low = get(state, S_RECENT_MIN);
  let high = get(state, S_RECENT_MAX);
  const reach = param(params, P_BREAKOUT) * (high - low);
  const breakout = t > 0 && (x > high + reach || x < low - reach);
  if (t == 0) low = high = x;
  else {
    const m = get(state, S_MEAN);
    const decay = param(params, P_RANGE_DECAY);
    high -= decay * (high - m);
    low += decay * (m - low);
  }
  // A lone absurd reading stays out of both ranges; a second one in a row is taken in (see the
  // TS twin and ABSURD_REACH in params.ts).
  const seenLow = get(state, S_MIN);
  const seenHigh = get(state, S_MAX);
  const far = ABSURD_REACH * (seenHigh - seenLow);
  let take = true;
  if (far > 0 && (x > seenHigh + far || x < seenLow - far)) {
    const window = <i64>param(params, P_WINDOW);
    const at = slotPtr(state, <i32>param(params, P_RING)) + (<usize>(<i64>(t - 1) % window) << 3);
    const previous = load<f64>(at);
    take = previous > seenHigh + far || previous < seenLow - far;
  }
  set(state, S_RECENT_MIN, take && x < low ? x : low);
  set(state, S_RECENT_MAX, take && x > high ? x : high);
  if (t == 0 || (take && x < seenLow)) set(state, S_MIN, x);
  if (t == 0 || (take && x > seenHigh)) set(state, S_MAX, x);
  const range = get(state, S_MAX) - get(state, S_MIN);
  const span = range > 0 ? range : 1;

  const a = max<f64>(param(params, P_Z_ALPHA), 1 / (t + 1));
  const mean = get(state, S_MEAN);
  const variance = get(state, S_VARIANCE);
  const d = x - mean;
  // The floor scales with the range, so the scores do not depend on the series' unit or offset.
  const floor = VARIANCE_FLOOR * range * range;
  const sd = Math.sqrt(variance + floor);
  const deviation = t > 0 && sd > 0 ? d / sd : 0;
  const z = abs<f64>(deviation);
  // During the quiet period after an alarm, deviations are clipped at the z floor (see the twin).
  const clip = get(state, S_HOLD) > 0 ? param(params, P_Z_FLOOR) : param(params, P_Z_CLIP);
  const limit = t > CLIP_AFTER ? clip * Math.sqrt(variance) : Infinity;
  const dc = d > limit ? limit : d < -limit ? -limit : d;
  set(state, S_MEAN, mean + a * dc);
  set(state, S_VARIANCE, (1 - a) * (variance + a * dc * dc));
  const zBin = calibratorBin(z);

  // Rate of change: the first difference against its running mean square (see the twin).
  const W = <i32>param(params, P_WINDOW);
  const ring = slotPtr(state, <i32>param(params, P_RING));
  const step = t > 0 ? x - load<f64>(ring + (<usize>(<i64>(t - 1) % <i64>W) << 3)) : 0;
  const rateVariance = get(state, S_RATE_VARIANCE);
  const rateSd = Math.sqrt(rateVariance + floor);
  const rate = t > 1 && rateSd > 0 ? abs<f64>(step) / rateSd : 0;
  if (t > 0) {
    const ar = max<f64>(param(params, P_Z_ALPHA), 1 / t);
    const rateLimit = t > CLIP_AFTER ? param(params, P_Z_CLIP) * Math.sqrt(rateVariance) : Infinity;
    const sc = step > rateLimit ? rateLimit : step < -rateLimit ? -rateLimit : step;
    set(state, S_RATE_VARIANCE, (1 - ar) * (rateVariance + ar * sc * sc));
  }
  const rateBin = calibratorBin(rate);

  // Persistence: two-sided CUSUM of the clipped standardised deviation (see the TS twin).
  const zc = deviation > CUSUM_CLIP ? CUSUM_CLIP : deviation < -CUSUM_CLIP ? -CUSUM_CLIP : deviation;
  const slack = param(params, P_CUSUM_SLACK);
  const rise = get(state, S_CUSUM_UP) + zc - slack;
  const fall = get(state, S_CUSUM_DOWN) - zc - slack;
  const up = rise > 0 ? rise : 0;
  const down = fall > 0 ? fall : 0;
  set(state, S_CUSUM_UP, up);
  set(state, S_CUSUM_DOWN, down);
  const cusum = up > down ? up : down;
  const cusumBin = calibratorBin(cusum);

  const bucket = <i32>param(params, P_BUCKET);
  const head = <i32>(<i64>t % <i64>W);
  store<f64>(ring + (<usize>head << 3), x);
  let created = false;
  let patternBin = -1;
  if (t >= <f64>(W - 1)) {
    // The oldest point of the window sits just after the newest one; features are f32, relative
    // to the series' first value (see the TS twin).
    const origin = get(state, S_ORIGIN);
    let at = head + 1 == W ? 0 : head + 1;
    let f0: f32 = 0, f1: f32 = 0, f2: f32 = 0, f3: f32 = 0;
    for (let j = 0; j < DIMS; j++) {
      let sum: f64 = 0;
      for (let i = 0; i < bucket; i++) {
        sum += load<f64>(ring + (<usize>at << 3));
        at = at + 1 == W ? 0 : at + 1;
      }
      const f = <f32>(sum / <f64>bucket - origin);
      if (j == 0) f0 = f;
      else if (j == 1) f1 = f;
      else if (j == 2) f2 = f;
      else f3 = f;
    }
    const protos = slotPtr(state, <i32>param(params, P_PROTOS));
    const lastMatch = slotPtr(state, <i32>param(params, P_LAST_MATCH));
    const capacity = <i32>param(params, P_PROTOTYPES);
    const used = <i32>get(state, S_USED);
    let match = -1;
    let best: f64 = Infinity;
    if (used > 0) {
      const last = <i32>get(state, S_LAST_SLOT);
      match = nearest(protos, used, last < used ? last : 0, f0, f1, f2, f3);
      best = <f64>nearestGap;
    }
    const novelty = used == 0 ? 1 : min<f64>(1, best / span);
    created = novelty > param(params, P_VIGILANCE);
    let slot = match;
    if (created) {
      slot = used;
      if (used < capacity) set(state, S_USED, used + 1);
      else {
        // The least recently matched: the largest age, in wrapping 30-bit arithmetic.
        const now = <u32><i64>t & AGE_MASK;
        slot = 0;
        let oldest = (now - load<u32>(lastMatch)) & AGE_MASK;
        for (let q = 1; q < capacity; q++) {
          const age = (now - load<u32>(lastMatch + (<usize>q << 2))) & AGE_MASK;
          if (age > oldest) {
            oldest = age;
            slot = q;
          }
        }
      }
      const o = entry(protos, slot);
      store<f32>(o, f0);
      store<f32>(o, f1, 16);
      store<f32>(o, f2, 32);
      store<f32>(o, f3, 48);
    } else {
      const o = entry(protos, match);
      const rate = param(params, P_LEARNING_RATE);
      learnCoordinate(o, f0, rate);
      learnCoordinate(o + 16, f1, rate);
      learnCoordinate(o + 32, f2, rate);
      learnCoordinate(o + 48, f3, rate);
    }
    store<u32>(lastMatch + (<usize>slot << 2), <u32><i64>t & AGE_MASK);
    set(state, S_LAST_SLOT, <f64>reorder(protos, lastMatch, <i32>get(state, S_USED), slot));
    patternBin = calibratorBin(novelty);
  }

  const patternBins = slotPtr(state, <i32>param(params, P_PATTERN_BINS));
  const zBins = slotPtr(state, <i32>param(params, P_Z_BINS));
  const cusumBins = slotPtr(state, <i32>param(params, P_CUSUM_BINS));
  let score: f64 = 0;
  // During the refractory period the score is 0 whatever the surprise, so it is not computed.
  // A CUSUM beyond the gate scores its own surprise.
  if (cusum > param(params, P_CUSUM_GATE) && get(state, S_HOLD) == 0) {
    const pc = tail(cusumBins, cusumBin, get(state, S_Z_WEIGHT), get(state, S_Z_TOTAL), 2);
    const surprise = -Math.log(pc) / param(params, P_SCALE);
    score = surprise < 1 ? surprise : 1;
    if (pc <= param(params, P_PATTERN_ALARM_P)) alarm(params, state);
  }
  if ((created || breakout) && get(state, S_HOLD) == 0) {
    const pp = patternBin >= 0 ? tail(patternBins, patternBin, get(state, S_PATTERN_WEIGHT), get(state, S_PATTERN_TOTAL), 2) : 1;
    const pz = z >= param(params, P_Z_FLOOR) ? tail(zBins, zBin, get(state, S_Z_WEIGHT), get(state, S_Z_TOTAL), 3) : 1;
    const pr = rate >= param(params, P_Z_FLOOR) ? tail(zBins + 4, rateBin, get(state, S_Z_WEIGHT), get(state, S_Z_TOTAL), 3) : 1;
    const surprise = max<f64>(max<f64>(-Math.log(pp), param(params, P_Z_WEIGHT) * -Math.log(pz)), -Math.log(pr)) / param(params, P_SCALE);
    if (surprise > score) score = surprise < 1 ? surprise : 1;
    const alarmP = param(params, P_PATTERN_ALARM_P);
    if (pp <= alarmP || pz <= param(params, P_Z_ALARM_P) || pr <= alarmP) alarm(params, state);
  }
  if (get(state, S_HOLD) > 0) set(state, S_HOLD, get(state, S_HOLD) - 1);
  const forgetting = param(params, P_FORGETTING);
  if (patternBin >= 0) learn(state, patternBins, patternBin, forgetting);
  learnShared(state, zBins, zBin, rateBin, cusumBins, cusumBin, forgetting);
  set(state, S_HINTS, <f64>(patternBin + 1 + 256 * zBin + 65536 * cusumBin));
  return score;
}

// Series ahead whose state updateMany starts loading, so their cache misses overlap this step:
// first the lines every step reads, then (NEAR series ahead, once that series' header is in
// cache) the lines of its last match, the likeliest match of its next point.
const AHEAD = 4;
const NEAR = 2;

/**
 * Loads the lines of a state block that every step reads (header and ring, the block's first
 * four lines) so that the memory system fetches them early; wasm has no prefetch instruction.
 */
// @ts-ignore: decorator
@inline
function touch(state: usize, protos: usize): f64 {
  return load<f64>(state) + load<f64>(state, 64) + load<f64>(state, 128) + load<f64>(state, 192);
}

/**
 * Loads the lines the next point most likely reads after the header: its last match's group and
 * the groups either side (where the search walks), its last-match time, and the calibrator bins
 * it hit last (see `touch`).
 */
// @ts-ignore: decorator
@inline
function touchMatch(params: usize, state: usize, protos: usize, lastMatch: usize, capacity: i32): f64 {
  let slot = <i32>get(state, S_LAST_SLOT);
  if (<u32>slot >= <u32>capacity) slot = 0;
  const q = <usize>slot;
  const o = state + protos + ((q >> 2) << 6);
  const low = q >= 4 ? o - 64 : o;
  const high = q + 4 < <usize>capacity ? o + 64 : o;
  const matched = <f64>(load<f32>(o) + load<f32>(low) + load<f32>(high)) + <f64>load<u32>(state + lastMatch + (q << 2));
  const hints = <i32>get(state, S_HINTS);
  return matched + binLine(state, <i32>param(params, P_PATTERN_BINS), (hints & 255) - 1, 2)
    + binLine(state, <i32>param(params, P_Z_BINS), (hints >> 8) & 255, 3) + binLine(state, <i32>param(params, P_CUSUM_BINS), hints >> 16, 2);
}

/** Bin `b` (clamped into range) of the calibrator at slot `bins` (bin i at `i << shift` bytes). */
// @ts-ignore: decorator
@inline
function binLine(state: usize, bins: i32, b: i32, shift: i32): f64 {
  if (<u32>b >= <u32>CAL_BINS) b = 0;
  return <f64>load<f32>(slotPtr(state, bins) + (<usize>b << shift));
}

/**
 * One point for each of `count` series (struct of arrays: `timestamps[k]`, `values[k]` and
 * `out[k]` belong to the series whose state block is the k-th one at `states`). Each step first
 * touches the state AHEAD series on, so the misses of several series overlap; the touched sum
 * goes to `out[count]` only so that no optimiser drops the loads (`out` has `count + 1` slots).
 */
export function updateMany(params: usize, states: usize, count: i32, timestamps: usize, values: usize, out: usize): void {
  const stride = <usize>param(params, P_LENGTH) << 3;
  const protos = <usize>param(params, P_PROTOS) << 3;
  const lastMatch = <usize>param(params, P_LAST_MATCH) << 3;
  const capacity = <i32>param(params, P_PROTOTYPES);
  let touched: f64 = 0;
  for (let k = 0; k < count; k++) {
    if (k + AHEAD < count) touched += touch(states + <usize>(k + AHEAD) * stride, protos);
    if (k + NEAR < count) touched += touchMatch(params, states + <usize>(k + NEAR) * stride, protos, lastMatch, capacity);
    const at = <usize>k << 3;
    store<f64>(out + at, step(params, states + <usize>k * stride, load<f64>(timestamps + at), load<f64>(values + at)));
  }
  store<f64>(out + (<usize>count << 3), touched);
}

/** `length` consecutive points of one series; scores go to `out`. */
export function updateSeries(params: usize, state: usize, timestamps: usize, values: usize, length: i32, out: usize): void {
  for (let i = 0; i < length; i++) {
    const at = <usize>i << 3;
    store<f64>(out + at, step(params, state, load<f64>(timestamps + at), load<f64>(values + at)));
  }
}

/**
 * `ticks` points for each of `count` series, series by series so each state stays in cache:
 * `values` and `out` are series-major (series k's points at k * ticks ... k * ticks + ticks - 1),
 * `timestamps[t]` is shared by all series at tick t.
 */
export function updateBlock(
  params: usize, states: usize, count: i32, ticks: i32, timestamps: usize, values: usize, out: usize,
): void {
  const stride = <usize>param(params, P_LENGTH) << 3;
  for (let k = 0; k < count; k++) {
    const state = states + <usize>k * stride;
    const row = <usize>k * <usize>ticks;
    for (let t = 0; t < ticks; t++) {
      const at = (row + <usize>t) << 3;
      store<f64>(out + at, step(params, state, load<f64>(timestamps + (<usize>t << 3)), load<f64>(values + at)));
    }
  }
}
