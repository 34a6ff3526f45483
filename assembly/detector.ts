// Default anomaly detector kernel: the per-point arithmetic of the resonance detector for one
// series or for many series at once. Each series owns a flat f64 state block (layout in
// src/analyze/detectors/params.ts); the TS twin src/analyze/detectors/resonance.ts performs the
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
const P_LANES = 20;
const P_CUSUM_SLACK = 21;
const P_CUSUM_GATE = 22;
const P_CUSUM_BINS = 23;
const P_Z_FLOOR = 24;

// Points after which z-score deviations are clipped (CLIP_AFTER in params.ts).
const CLIP_AFTER: f64 = 30;
// Clip of the standardised deviations entering the CUSUM (CUSUM_CLIP in params.ts).
const CUSUM_CLIP: f64 = 4;

// Scalar state slots (same as S in params.ts).
const S_COUNT = 0;
const S_LAST_TS = 1;
const S_MIN = 2;
const S_MAX = 3;
const S_MEAN = 4;
const S_VARIANCE = 5;
const S_HOLD = 6;
const S_USED = 7;
const S_REJECTED = 8;
const S_PATTERN_WEIGHT = 9;
const S_PATTERN_TOTAL = 10;
const S_Z_WEIGHT = 11;
const S_Z_TOTAL = 12;
const S_LAST_SLOT = 13;
const S_ORIGIN = 14;
const S_CUSUM_UP = 15;
const S_CUSUM_DOWN = 16;
const S_CUSUM_WEIGHT = 17;
const S_CUSUM_TOTAL = 18;
const S_PATTERN_BIN = 19;
const S_Z_BIN = 20;
const S_CUSUM_BIN = 21;

const DIMS = 4;
const CAL_BINS = 96;

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
 * Tail probability of bin `b`. The bins from `b` up are summed into four accumulators, bin i into
 * accumulator (i - b) % 4, combined as (a0 + a2) + (a1 + a3): the order two f64x2 lanes give,
 * which the scalar build and the TS twin follow too, so all three agree to the bit.
 */
function tail(bins: usize, b: i32, weight: f64, total: f64): f64 {
  let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
  let i = b;
  if (ASC_FEATURE_SIMD) {
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    for (; i + 4 <= CAL_BINS; i += 4) {
      const at = bins + (<usize>i << 3);
      lo = f64x2.add(lo, v128.load(at));
      hi = f64x2.add(hi, v128.load(at, 16));
    }
    a0 = f64x2.extract_lane(lo, 0);
    a1 = f64x2.extract_lane(lo, 1);
    a2 = f64x2.extract_lane(hi, 0);
    a3 = f64x2.extract_lane(hi, 1);
  } else {
    for (; i + 4 <= CAL_BINS; i += 4) {
      const at = bins + (<usize>i << 3);
      a0 += load<f64>(at);
      a1 += load<f64>(at, 8);
      a2 += load<f64>(at, 16);
      a3 += load<f64>(at, 24);
    }
  }
  if (i < CAL_BINS) a0 += load<f64>(bins + (<usize>i << 3));
  if (i + 1 < CAL_BINS) a1 += load<f64>(bins + (<usize>(i + 1) << 3));
  if (i + 2 < CAL_BINS) a2 += load<f64>(bins + (<usize>(i + 2) << 3));
  const sum = (a0 + a2) + (a1 + a3);
  return (sum + weight) / (total + weight);
}

/** Adds one observation to a calibrator (weights grow instead of old counts shrinking). */
function learn(state: usize, bins: usize, b: i32, wSlot: i32, tSlot: i32, forgetting: f64): void {
  const w = get(state, wSlot);
  const at = bins + (<usize>b << 3);
  store<f64>(at, load<f64>(at) + w);
  set(state, tSlot, get(state, tSlot) + w);
  let next = w / forgetting;
  if (next > 1e100) {
    for (let i = 0; i < CAL_BINS; i++) {
      const p = bins + (<usize>i << 3);
      store<f64>(p, load<f64>(p) / next);
    }
    set(state, tSlot, get(state, tSlot) / next);
    next = 1;
  }
  set(state, wSlot, next);
}

/**
 * Largest coordinate gap between the feature (f0..f3) and prototype `q`, in f32; prototypes are
 * f32, stored dimension by dimension (`dim` bytes apart), as in the TS twin.
 */
// @ts-ignore: decorator
@inline
function gapTo(protos: usize, dim: usize, q: i32, f0: f32, f1: f32, f2: f32, f3: f32): f32 {
  const o = protos + (<usize>q << 2);
  let gap: f32 = abs<f32>(f0 - load<f32>(o));
  let e = abs<f32>(f1 - load<f32>(o + dim));
  if (e > gap) gap = e;
  e = abs<f32>(f2 - load<f32>(o + 2 * dim));
  if (e > gap) gap = e;
  e = abs<f32>(f3 - load<f32>(o + 3 * dim));
  if (e > gap) gap = e;
  return gap;
}

/**
 * Nearest of the `used` prototypes to the feature by the largest coordinate gap, ties to the
 * lowest slot, starting from slot `match` (gap `best`); returns the slot, and the gap in
 * `nearestGap`. The SIMD build screens four prototypes per load on their first coordinate and
 * takes the full gap only of groups with a lane within the bound; the result is a plain scan's.
 */
let nearestGap: f32 = 0;
function nearest(protos: usize, dim: usize, used: i32, match: i32, best: f32, f0: f32, f1: f32, f2: f32, f3: f32): i32 {
  if (ASC_FEATURE_SIMD) {
    const v0 = f32x4.splat(f0);
    const v1 = f32x4.splat(f1);
    const v2 = f32x4.splat(f2);
    const v3 = f32x4.splat(f3);
    const infinity = f32x4.splat(Infinity);
    const iota = i32x4(0, 1, 2, 3);
    for (let g = 0; g < used; g += 4) {
      const at = protos + (<usize>g << 2);
      const d0 = f32x4.abs(f32x4.sub(v0, v128.load(at)));
      if (!v128.any_true(f32x4.le(d0, f32x4.splat(best)))) continue;
      let gaps = f32x4.max(d0, f32x4.abs(f32x4.sub(v1, v128.load(at + dim))));
      gaps = f32x4.max(gaps, f32x4.abs(f32x4.sub(v2, v128.load(at + 2 * dim))));
      gaps = f32x4.max(gaps, f32x4.abs(f32x4.sub(v3, v128.load(at + 3 * dim))));
      // The group's nearest lane (lowest slot among equal gaps), then the usual comparison.
      if (used - g < 4) gaps = v128.bitselect(gaps, infinity, i32x4.lt_s(iota, i32x4.splat(used - g)));
      const half = f32x4.min(gaps, v128.shuffle<f32>(gaps, gaps, 2, 3, 0, 1));
      const gap = f32x4.extract_lane(f32x4.min(half, v128.shuffle<f32>(half, half, 1, 0, 3, 2)), 0);
      if (gap <= best) {
        const q = g + ctz<i32>(i32x4.bitmask(f32x4.eq(gaps, f32x4.splat(gap))));
        if (gap < best || q < match) {
          best = gap;
          match = q;
        }
      }
    }
  } else {
    for (let q = 0; q < used; q++) {
      if (abs<f32>(f0 - load<f32>(protos + (<usize>q << 2))) > best) continue;
      const gap = gapTo(protos, dim, q, f0, f1, f2, f3);
      if (gap < best || (gap == best && q < match)) {
        best = gap;
        match = q;
      }
    }
  }
  nearestGap = best;
  return match;
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
    set(state, S_CUSUM_WEIGHT, 1);
  }
}

/** One point for the series whose state is at `state`; returns its score in [0, 1]. */
function step(params: usize, state: usize, ts: f64, x: f64): f64 {
  const t = get(state, S_COUNT);
  if (!isFinite<f64>(x) || !isFinite<f64>(ts) || (t > 0 && ts < get(state, S_LAST_TS))) {
    set(state, S_REJECTED, get(state, S_REJECTED) + 1);
    return 0;
  }
  set(state, S_LAST_TS, ts);
  set(state, S_COUNT, t + 1);
  if (t == 0) set(state, S_ORIGIN, x);
  const lowest = get(state, S_MIN);
  const highest = get(state, S_MAX);
  const reach = param(params, P_BREAKOUT) * (highest - lowest);
  const breakout = t > 0 && (x > highest + reach || x < lowest - reach);
  if (t == 0 || x < get(state, S_MIN)) set(state, S_MIN, x);
  if (t == 0 || x > get(state, S_MAX)) set(state, S_MAX, x);
  const range = get(state, S_MAX) - get(state, S_MIN);
  const span = range > 0 ? range : 1;

  const a = max<f64>(param(params, P_Z_ALPHA), 1 / (t + 1));
  const mean = get(state, S_MEAN);
  const variance = get(state, S_VARIANCE);
  const d = x - mean;
  const deviation = t > 0 ? d / Math.sqrt(variance + 1e-12 * (1 + mean * mean)) : 0;
  const z = abs<f64>(deviation);
  // During the quiet period after an alarm, deviations are clipped at the z floor (see the twin).
  const clip = get(state, S_HOLD) > 0 ? param(params, P_Z_FLOOR) : param(params, P_Z_CLIP);
  const limit = t > CLIP_AFTER ? clip * Math.sqrt(variance) : Infinity;
  const dc = d > limit ? limit : d < -limit ? -limit : d;
  set(state, S_MEAN, mean + a * dc);
  set(state, S_VARIANCE, (1 - a) * (variance + a * dc * dc));
  const zBin = calibratorBin(z);

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

  const W = <i32>param(params, P_WINDOW);
  const bucket = <i32>param(params, P_BUCKET);
  const ring = slotPtr(state, <i32>param(params, P_RING));
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
    const dim = <usize>param(params, P_LANES) << 2;
    let match = -1;
    let best: f64 = Infinity;
    if (used > 0) {
      const last = <i32>get(state, S_LAST_SLOT);
      const start = last < used ? last : 0;
      match = nearest(protos, dim, used, start, gapTo(protos, dim, start, f0, f1, f2, f3), f0, f1, f2, f3);
      best = <f64>nearestGap;
    }
    const novelty = used == 0 ? 1 : min<f64>(1, best / span);
    created = novelty > param(params, P_VIGILANCE);
    if (created) {
      let slot = used;
      if (used < capacity) set(state, S_USED, used + 1);
      else {
        slot = 0;
        let oldest = load<f64>(lastMatch);
        for (let q = 1; q < capacity; q++) {
          const seen = load<f64>(lastMatch + (<usize>q << 3));
          if (seen < oldest) {
            oldest = seen;
            slot = q;
          }
        }
      }
      const o = protos + (<usize>slot << 2);
      store<f32>(o, f0);
      store<f32>(o + dim, f1);
      store<f32>(o + 2 * dim, f2);
      store<f32>(o + 3 * dim, f3);
      store<f64>(lastMatch + (<usize>slot << 3), t);
      set(state, S_LAST_SLOT, <f64>slot);
    } else {
      const o = protos + (<usize>match << 2);
      const rate = param(params, P_LEARNING_RATE);
      learnCoordinate(o, f0, rate);
      learnCoordinate(o + dim, f1, rate);
      learnCoordinate(o + 2 * dim, f2, rate);
      learnCoordinate(o + 3 * dim, f3, rate);
      store<f64>(lastMatch + (<usize>match << 3), t);
      set(state, S_LAST_SLOT, <f64>match);
    }
    patternBin = calibratorBin(novelty);
  }

  const patternBins = slotPtr(state, <i32>param(params, P_PATTERN_BINS));
  const zBins = slotPtr(state, <i32>param(params, P_Z_BINS));
  const cusumBins = slotPtr(state, <i32>param(params, P_CUSUM_BINS));
  let score: f64 = 0;
  // During the refractory period the score is 0 whatever the surprise, so it is not computed.
  // A CUSUM beyond the gate scores its own surprise.
  if (cusum > param(params, P_CUSUM_GATE) && get(state, S_HOLD) == 0) {
    const pc = tail(cusumBins, cusumBin, get(state, S_CUSUM_WEIGHT), get(state, S_CUSUM_TOTAL));
    const surprise = -Math.log(pc) / param(params, P_SCALE);
    score = surprise < 1 ? surprise : 1;
    if (pc <= param(params, P_PATTERN_ALARM_P)) alarm(params, state);
  }
  if ((created || breakout) && get(state, S_HOLD) == 0) {
    const pp = patternBin >= 0 ? tail(patternBins, patternBin, get(state, S_PATTERN_WEIGHT), get(state, S_PATTERN_TOTAL)) : 1;
    const pz = z >= param(params, P_Z_FLOOR) ? tail(zBins, zBin, get(state, S_Z_WEIGHT), get(state, S_Z_TOTAL)) : 1;
    const surprise = max<f64>(-Math.log(pp), param(params, P_Z_WEIGHT) * -Math.log(pz)) / param(params, P_SCALE);
    if (surprise > score) score = surprise < 1 ? surprise : 1;
    if (pp <= param(params, P_PATTERN_ALARM_P) || pz <= param(params, P_Z_ALARM_P)) alarm(params, state);
  }
  if (get(state, S_HOLD) > 0) set(state, S_HOLD, get(state, S_HOLD) - 1);
  const forgetting = param(params, P_FORGETTING);
  if (patternBin >= 0) learn(state, patternBins, patternBin, S_PATTERN_WEIGHT, S_PATTERN_TOTAL, forgetting);
  learn(state, zBins, zBin, S_Z_WEIGHT, S_Z_TOTAL, forgetting);
  learn(state, cusumBins, cusumBin, S_CUSUM_WEIGHT, S_CUSUM_TOTAL, forgetting);
  set(state, S_PATTERN_BIN, <f64>patternBin);
  set(state, S_Z_BIN, <f64>zBin);
  set(state, S_CUSUM_BIN, <f64>cusumBin);
  return score;
}

// Series ahead whose state updateMany starts loading, so their cache misses overlap this step:
// first the lines every step reads, then (NEAR series ahead, once that series' header is in
// cache) the lines of its last match, the likeliest match of its next point.
const AHEAD = 4;
const NEAR = 2;

/**
 * Loads the lines of a state block that every step reads (header, ring, first prototype
 * coordinates) so that the memory system fetches them early; wasm has no prefetch instruction.
 */
// @ts-ignore: decorator
@inline
function touch(state: usize, protos: usize): f64 {
  return load<f64>(state) + load<f64>(state, 64) + load<f64>(state, 128) + load<f64>(state, 192)
    + load<f64>(state + protos) + load<f64>(state + protos, 64) + load<f64>(state + protos, 128)
    + load<f64>(state + protos, 192);
}

/**
 * Loads the lines the next point most likely reads after the header: its last match's other
 * coordinates and last-match entry, and the calibrator bins it hit last (see `touch`).
 */
// @ts-ignore: decorator
@inline
function touchMatch(params: usize, state: usize, protos: usize, lastMatch: usize, dim: usize, capacity: i32): f64 {
  let slot = <i32>get(state, S_LAST_SLOT);
  if (<u32>slot >= <u32>capacity) slot = 0;
  const q = <usize>slot;
  const o = state + protos + (q << 2);
  const matched = <f64>(load<f32>(o + dim) + load<f32>(o + 2 * dim) + load<f32>(o + 3 * dim)) + load<f64>(state + lastMatch + (q << 3));
  return matched + binLine(state, <i32>param(params, P_PATTERN_BINS), S_PATTERN_BIN)
    + binLine(state, <i32>param(params, P_Z_BINS), S_Z_BIN) + binLine(state, <i32>param(params, P_CUSUM_BINS), S_CUSUM_BIN);
}

/** The calibrator bin last hit (slot `last`) of the calibrator at slot `bins`, clamped into it. */
// @ts-ignore: decorator
@inline
function binLine(state: usize, bins: i32, last: i32): f64 {
  let b = <i32>get(state, last);
  if (<u32>b >= <u32>CAL_BINS) b = 0;
  return get(state, bins + b);
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
  const dim = <usize>param(params, P_LANES) << 2;
  const capacity = <i32>param(params, P_PROTOTYPES);
  let touched: f64 = 0;
  for (let k = 0; k < count; k++) {
    if (k + AHEAD < count) touched += touch(states + <usize>(k + AHEAD) * stride, protos);
    if (k + NEAR < count) touched += touchMatch(params, states + <usize>(k + NEAR) * stride, protos, lastMatch, dim, capacity);
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
