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

// Points after which z-score deviations are clipped (CLIP_AFTER in params.ts).
const CLIP_AFTER: f64 = 30;

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
 * Largest coordinate gap between the feature (f0..f3) and prototype `q`; prototypes are stored
 * dimension by dimension (`dim` bytes apart), as in the TS twin.
 */
// @ts-ignore: decorator
@inline
function gapTo(protos: usize, dim: usize, q: i32, f0: f64, f1: f64, f2: f64, f3: f64): f64 {
  const o = protos + (<usize>q << 3);
  let gap: f64 = 0;
  let e = abs<f64>(f0 - load<f64>(o));
  if (e > gap) gap = e;
  e = abs<f64>(f1 - load<f64>(o + dim));
  if (e > gap) gap = e;
  e = abs<f64>(f2 - load<f64>(o + 2 * dim));
  if (e > gap) gap = e;
  e = abs<f64>(f3 - load<f64>(o + 3 * dim));
  if (e > gap) gap = e;
  return gap;
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
    set(state, S_REJECTED, get(state, S_REJECTED) + 1);
    return 0;
  }
  set(state, S_LAST_TS, ts);
  set(state, S_COUNT, t + 1);
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
  const z = t > 0 ? abs<f64>(d) / Math.sqrt(variance + 1e-12 * (1 + mean * mean)) : 0;
  const limit = t > CLIP_AFTER ? param(params, P_Z_CLIP) * Math.sqrt(variance) : Infinity;
  const dc = d > limit ? limit : d < -limit ? -limit : d;
  set(state, S_MEAN, mean + a * dc);
  set(state, S_VARIANCE, (1 - a) * (variance + a * dc * dc));
  const zBin = calibratorBin(z);

  const W = <i32>param(params, P_WINDOW);
  const bucket = <i32>param(params, P_BUCKET);
  const ring = slotPtr(state, <i32>param(params, P_RING));
  const head = <i32>(<i64>t % <i64>W);
  store<f64>(ring + (<usize>head << 3), x);
  let created = false;
  let patternBin = -1;
  if (t >= <f64>(W - 1)) {
    // The oldest point of the window sits just after the newest one.
    let at = head + 1 == W ? 0 : head + 1;
    let f0: f64 = 0, f1: f64 = 0, f2: f64 = 0, f3: f64 = 0;
    for (let j = 0; j < DIMS; j++) {
      let sum: f64 = 0;
      for (let i = 0; i < bucket; i++) {
        sum += load<f64>(ring + (<usize>at << 3));
        at = at + 1 == W ? 0 : at + 1;
      }
      const f = sum / <f64>bucket;
      if (j == 0) f0 = f;
      else if (j == 1) f1 = f;
      else if (j == 2) f2 = f;
      else f3 = f;
    }
    const protos = slotPtr(state, <i32>param(params, P_PROTOS));
    const lastMatch = slotPtr(state, <i32>param(params, P_LAST_MATCH));
    const capacity = <i32>param(params, P_PROTOTYPES);
    const used = <i32>get(state, S_USED);
    // Nearest prototype, starting from the last match for a tight bound (see the TS twin).
    const dim = <usize>capacity << 3;
    let match = -1;
    let best = Infinity;
    if (used > 0) {
      const last = <i32>get(state, S_LAST_SLOT);
      match = last < used ? last : 0;
      best = gapTo(protos, dim, match, f0, f1, f2, f3);
    }
    for (let q = 0; q < used; q++) {
      if (q == match || abs<f64>(f0 - load<f64>(protos + (<usize>q << 3))) > best) continue;
      const gap = gapTo(protos, dim, q, f0, f1, f2, f3);
      if (gap < best || (gap == best && q < match)) {
        best = gap;
        match = q;
      }
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
      const o = protos + (<usize>slot << 3);
      store<f64>(o, f0);
      store<f64>(o + dim, f1);
      store<f64>(o + 2 * dim, f2);
      store<f64>(o + 3 * dim, f3);
      store<f64>(lastMatch + (<usize>slot << 3), t);
      set(state, S_LAST_SLOT, <f64>slot);
    } else {
      const o = protos + (<usize>match << 3);
      const rate = param(params, P_LEARNING_RATE);
      store<f64>(o, load<f64>(o) + rate * (f0 - load<f64>(o)));
      store<f64>(o + dim, load<f64>(o + dim) + rate * (f1 - load<f64>(o + dim)));
      store<f64>(o + 2 * dim, load<f64>(o + 2 * dim) + rate * (f2 - load<f64>(o + 2 * dim)));
      store<f64>(o + 3 * dim, load<f64>(o + 3 * dim) + rate * (f3 - load<f64>(o + 3 * dim)));
      store<f64>(lastMatch + (<usize>match << 3), t);
      set(state, S_LAST_SLOT, <f64>match);
    }
    patternBin = calibratorBin(novelty);
  }

  const patternBins = slotPtr(state, <i32>param(params, P_PATTERN_BINS));
  const zBins = slotPtr(state, <i32>param(params, P_Z_BINS));
  let score: f64 = 0;
  // During the refractory period the score is 0 whatever the surprise, so it is not computed.
  if ((created || breakout) && get(state, S_HOLD) == 0) {
    const pp = patternBin >= 0 ? tail(patternBins, patternBin, get(state, S_PATTERN_WEIGHT), get(state, S_PATTERN_TOTAL)) : 1;
    const pz = tail(zBins, zBin, get(state, S_Z_WEIGHT), get(state, S_Z_TOTAL));
    const surprise = max<f64>(-Math.log(pp), param(params, P_Z_WEIGHT) * -Math.log(pz)) / param(params, P_SCALE);
    score = surprise < 1 ? surprise : 1;
    if (pp <= param(params, P_PATTERN_ALARM_P) || pz <= param(params, P_Z_ALARM_P)) {
      set(state, S_HOLD, param(params, P_REFRACTORY) + 1);
    }
  }
  if (get(state, S_HOLD) > 0) set(state, S_HOLD, get(state, S_HOLD) - 1);
  const forgetting = param(params, P_FORGETTING);
  if (patternBin >= 0) learn(state, patternBins, patternBin, S_PATTERN_WEIGHT, S_PATTERN_TOTAL, forgetting);
  learn(state, zBins, zBin, S_Z_WEIGHT, S_Z_TOTAL, forgetting);
  return score;
}

/**
 * One point for each of `count` series (struct of arrays: `timestamps[k]`, `values[k]` and
 * `out[k]` belong to the series whose state block is the k-th one at `states`).
 */
export function updateMany(params: usize, states: usize, count: i32, timestamps: usize, values: usize, out: usize): void {
  const stride = <usize>param(params, P_LENGTH) << 3;
  for (let k = 0; k < count; k++) {
    const at = <usize>k << 3;
    store<f64>(out + at, step(params, states + <usize>k * stride, load<f64>(timestamps + at), load<f64>(values + at)));
  }
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
