// Decision scoring: linear scores of candidate feature rows, low-rank (LoRA) adapters on the
// feature projection and the per-action head merged into the weights, constraint masks, a stable
// softmax with temperature, argmax, and one gradient step (forward, backward, SGD) of the
// adapters. Pointers are byte addresses laid out by the host (src/kernels/scoring/wasm.ts);
// matrices are row-major f32.
import { alignedHeapBase } from './lib/heap';

/** First 16-byte aligned address the host may use. */
export function heapBase(): usize {
  return alignedHeapBase();
}

/**
 * merged[c*f + j] = base[j] + scale * sum_k a[j*rank + k] * b[c*rank + k] for each of `columns`
 * columns of B (one per action for the action head, a single one for the feature projection):
 * folds one adapter into the weights, so a batch costs one dot product per candidate whatever
 * the rank (x.w + s (x.A).B = x.(w + s A.B)). Scalar and in order on purpose: it runs once per
 * parameter change, and the TS twin repeats these f32 operations bit for bit, so both backends
 * agree on which scores are NaN or infinite.
 */
export function mergeAdapter(
  base: usize,
  a: usize,
  b: usize,
  features: i32,
  rank: i32,
  columns: i32,
  scale: f32,
  merged: usize,
): void {
  for (let c = 0; c < columns; c++) {
    const column = b + (<usize>(c * rank) << 2);
    const out = merged + (<usize>(c * features) << 2);
    for (let j = 0; j < features; j++) {
      let delta: f32 = 0;
      const row = a + (<usize>(j * rank) << 2);
      for (let k = 0; k < rank; k++) {
        delta += load<f32>(row + (<usize>k << 2)) * load<f32>(column + (<usize>k << 2));
      }
      store<f32>(out + (<usize>j << 2), load<f32>(base + (<usize>j << 2)) + scale * delta);
    }
  }
}

/**
 * out[i] = rows[i] . merged[columns[i]] for `count` rows of `features` floats each, where
 * merged holds one weight row per action (`mergeAdapter` of the action head) and columns[i]
 * (i32, checked by the host) names row i's action.
 */
export function scoreRowsByColumn(
  rows: usize,
  columns: usize,
  count: i32,
  features: i32,
  merged: usize,
  out: usize,
): void {
  const rowBytes = <usize>features << 2;
  for (let i = 0; i < count; i++) {
    const weights = merged + <usize>load<i32>(columns + (<usize>i << 2)) * rowBytes;
    store<f32>(out + (<usize>i << 2), dot(rows + <usize>i * rowBytes, weights, features));
  }
}

/** out[i] = rows[i] . weights for `count` rows of `features` floats each. */
export function scoreRows(rows: usize, count: i32, features: i32, weights: usize, out: usize): void {
  const rowBytes = <usize>features << 2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // Four rows at a time share each weight load, and one transpose-and-add turns their four
    // accumulators into four scores stored at once.
    const body = features & ~3;
    for (; i + 4 <= count; i += 4) {
      const r0 = rows + <usize>i * rowBytes;
      const r1 = r0 + rowBytes;
      const r2 = r1 + rowBytes;
      const r3 = r2 + rowBytes;
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let a2 = f32x4.splat(0);
      let a3 = f32x4.splat(0);
      for (let j = 0; j < body; j += 4) {
        const o = <usize>j << 2;
        const w = v128.load(weights + o);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(r0 + o), w));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(r1 + o), w));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(r2 + o), w));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(r3 + o), w));
      }
      const s01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
      const s23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
      const sums = f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
      const at = out + (<usize>i << 2);
      v128.store(at, sums);
      for (let j = body; j < features; j++) {
        const o = <usize>j << 2;
        const w = load<f32>(weights + o);
        store<f32>(at, load<f32>(at) + load<f32>(r0 + o) * w);
        store<f32>(at, load<f32>(at, 4) + load<f32>(r1 + o) * w, 4);
        store<f32>(at, load<f32>(at, 8) + load<f32>(r2 + o) * w, 8);
        store<f32>(at, load<f32>(at, 12) + load<f32>(r3 + o) * w, 12);
      }
    }
  }
  for (; i < count; i++) {
    store<f32>(out + (<usize>i << 2), dot(rows + <usize>i * rowBytes, weights, features));
  }
}

// @ts-ignore: decorator
@inline
function dot(x: usize, w: usize, n: i32): f32 {
  let sum: f32 = 0;
  for (let j = 0; j < n; j++) {
    const o = <usize>j << 2;
    sum += load<f32>(x + o) * load<f32>(w + o);
  }
  return sum;
}

let rejected: i32 = 0;

/** NaN scores among allowed candidates in the last `finish` call. */
export function lastRejected(): i32 {
  return rejected;
}

/**
 * Applies the mask (allowed[i] == 0 -> score -Infinity), writes softmax((s - max) / temperature)
 * into probs and returns the argmax: the lowest index of the largest score, or -1 when no allowed
 * candidate scores above -Infinity (probs are then all 0). NaN scores are left in place, counted
 * in `lastRejected` and get probability 0. +Infinity scores share the probability equally (the
 * softmax limit).
 */
export function finish(scores: usize, allowed: usize, masked: bool, count: i32, temperature: f32, probs: usize): i32 {
  const max = maskAndMax(scores, allowed, masked, count);
  if (max == -Infinity) {
    memory.fill(probs, 0, <usize>count << 2);
    return -1;
  }
  let best = 0;
  while (load<f32>(scores + (<usize>best << 2)) != max) best++;
  let sum: f32 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD && max != Infinity) {
    const top = f32x4.splat(max);
    const t = f32x4.splat(temperature);
    let total = f32x4.splat(0);
    for (; i + 4 <= count; i += 4) {
      const s = v128.load(scores + (<usize>i << 2));
      const e = v128.andnot(expNonPositive(f32x4.div(f32x4.sub(s, top), t)), f32x4.ne(s, s));
      v128.store(probs + (<usize>i << 2), e);
      total = f32x4.add(total, e);
    }
    sum = f32x4.extract_lane(total, 0) + f32x4.extract_lane(total, 1) + f32x4.extract_lane(total, 2) + f32x4.extract_lane(total, 3);
  }
  for (; i < count; i++) {
    const s = load<f32>(scores + (<usize>i << 2));
    let e: f32 = 0;
    if (max == Infinity) e = s == Infinity ? 1 : 0;
    else if (!isNaN(s)) e = Mathf.exp((s - max) / temperature);
    store<f32>(probs + (<usize>i << 2), e);
    sum += e;
  }
  i = 0;
  if (ASC_FEATURE_SIMD) {
    const total = f32x4.splat(sum);
    for (; i + 4 <= count; i += 4) {
      const at = probs + (<usize>i << 2);
      v128.store(at, f32x4.div(v128.load(at), total));
    }
  }
  for (; i < count; i++) {
    const at = probs + (<usize>i << 2);
    store<f32>(at, load<f32>(at) / sum);
  }
  return best;
}

/**
 * Sets masked candidates' scores to -Infinity, counts NaN scores in `rejected` and returns the
 * largest remaining score (-Infinity when there is none).
 */
function maskAndMax(scores: usize, allowed: usize, masked: bool, count: i32): f32 {
  let max = -Infinity as f32;
  let nans = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const minusInfinity = f32x4.splat(-Infinity);
    let top = minusInfinity;
    let nanLanes = i32x4.splat(0);
    for (; i + 4 <= count; i += 4) {
      const at = scores + (<usize>i << 2);
      let s = v128.load(at);
      if (masked) {
        const flags = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(allowed + <usize>i)));
        s = v128.bitselect(s, minusInfinity, i32x4.ne(flags, i32x4.splat(0)));
        v128.store(at, s);
      }
      nanLanes = i32x4.sub(nanLanes, f32x4.ne(s, s)); // a true lane is -1
      top = f32x4.pmax(top, s); // keeps `top` where s is NaN
    }
    for (let lane = 0; lane < 4; lane++) {
      const v = f32x4.extract_lane(top, 0);
      if (v > max) max = v;
      top = v128.shuffle<f32>(top, top, 1, 2, 3, 0);
    }
    nans = i32x4.extract_lane(nanLanes, 0) + i32x4.extract_lane(nanLanes, 1) + i32x4.extract_lane(nanLanes, 2) + i32x4.extract_lane(nanLanes, 3);
  }
  for (; i < count; i++) {
    const at = scores + (<usize>i << 2);
    if (masked && load<u8>(allowed + <usize>i) == 0) {
      store<f32>(at, -Infinity);
      continue;
    }
    const s = load<f32>(at);
    if (isNaN(s)) nans++;
    else if (s > max) max = s;
  }
  rejected = nans;
  return max;
}

/**
 * e^x for x <= 0 (or NaN, which the caller masks), four lanes at once, within 2 ulp of Mathf.exp:
 * Cephes' expf, x = n ln2 + r with |r| <= ln2 / 2, e^r by a degree-7 polynomial, times 2^n built
 * in the exponent bits. Below -87.3 (where 2^n would be subnormal) it returns 0, as does -Infinity.
 */
// @ts-ignore: decorator
@inline
function expNonPositive(x: v128): v128 {
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  const e = f32x4.mul(p, scale);
  return v128.andnot(e, f32x4.lt(x, f32x4.splat(-87.33654)));
}

let bad: i32 = 0;

/** Parameters the last `trainStep` would have made non-finite (0 when the step is usable). */
export function lastBad(): i32 {
  return bad;
}

/**
 * One stochastic gradient step of the LoRA adapters for one observed candidate, forward and
 * backward in one call. x is the candidate (f floats) and xd the adapter's input, x after
 * dropout (the same pointer when there is none). The training forward is
 *   s = x.w + scale (xd.Ap).Bp + scale (xd.Ah).bh
 * (Ap, Bp: the feature projection's adapter, when `projection`; Ah and the action's row bh of
 * the action head's B, when `head`). The loss is 0.5 (s - target)^2 (`loss` 0) or the logistic
 * loss of sigmoid(s) against target in [0, 1] (`loss` 1); with g its derivative in s and
 * step = learningRate * g * scale, the plain SGD step on each adapter is
 *   B' = B - step (xd.A)   and   A' = A - step xd (outer) B,
 * both from the old values, written to the *Out buffers so the host keeps the old adapter when
 * `lastBad()` reports a non-finite value. Returns s.
 */
export function trainStep(
  x: usize,
  xd: usize,
  features: i32,
  rank: i32,
  weights: usize,
  scale: f32,
  projection: bool,
  ap: usize,
  bp: usize,
  head: bool,
  ah: usize,
  bh: usize,
  loss: i32,
  target: f64,
  learningRate: f64,
  apOut: usize,
  bpOut: usize,
  ahOut: usize,
  bhOut: usize,
): f32 {
  let score = dot(x, weights, features);
  if (projection) score += scale * lowRank(xd, features, rank, ap, bp);
  if (head) score += scale * lowRank(xd, features, rank, ah, bh);
  const gradient = loss == 0 ? <f64>score - target : 1.0 / (1.0 + Math.exp(-<f64>score)) - target;
  const step = <f32>(learningRate * gradient * <f64>scale);
  bad = 0;
  if (projection) bad += sgd(xd, features, rank, ap, bp, step, apOut, bpOut);
  if (head) bad += sgd(xd, features, rank, ah, bh, step, ahOut, bhOut);
  return score;
}

/** (x.A).b for A f x r (row-major) and b r values. */
function lowRank(x: usize, features: i32, rank: i32, a: usize, b: usize): f32 {
  let sum: f32 = 0;
  for (let k = 0; k < rank; k++) {
    let h: f32 = 0;
    for (let j = 0; j < features; j++) {
      h += load<f32>(x + (<usize>j << 2)) * load<f32>(a + (<usize>(j * rank + k) << 2));
    }
    sum += h * load<f32>(b + (<usize>k << 2));
  }
  return sum;
}

/**
 * B' = B - step (x.A), A' = A - step x (outer) B into aOut and bOut; returns how many new values
 * are not finite. Scalar in both builds: f x r is small next to a batch, and a step is bound by
 * its call cost.
 */
function sgd(x: usize, features: i32, rank: i32, a: usize, b: usize, step: f32, aOut: usize, bOut: usize): i32 {
  let nonFinite = 0;
  for (let k = 0; k < rank; k++) {
    let h: f32 = 0;
    for (let j = 0; j < features; j++) {
      h += load<f32>(x + (<usize>j << 2)) * load<f32>(a + (<usize>(j * rank + k) << 2));
    }
    const next = load<f32>(b + (<usize>k << 2)) - step * h;
    if (!isFinite(next)) nonFinite++;
    store<f32>(bOut + (<usize>k << 2), next);
  }
  for (let j = 0; j < features; j++) {
    const scaled = step * load<f32>(x + (<usize>j << 2));
    for (let k = 0; k < rank; k++) {
      const o = <usize>(j * rank + k) << 2;
      const next = load<f32>(a + o) - scaled * load<f32>(b + (<usize>k << 2));
      if (!isFinite(next)) nonFinite++;
      store<f32>(aOut + o, next);
    }
  }
  return nonFinite;
}
