/**
 * Tail probabilities of Student's t distribution, which the component detector needs to turn a
 * deviation measured against a baseline estimated from n samples into an honest p-value: with
 * few samples the estimated spread is itself uncertain, and a normal tail would overstate how
 * rare a deviation is.
 */

/**
 * P(|T| >= t) for T ~ Student's t with `dof` degrees of freedom (two-sided tail), in [0, 1].
 * |t| = Infinity gives 0; NaN gives NaN.
 */
export function studentTwoSidedTail(t: number, dof: number): number {
  if (Number.isNaN(t)) return NaN;
  const x = dof / (dof + t * t);
  return regularizedBeta(x, dof / 2, 0.5);
}

/** Regularized incomplete beta I_x(a, b) by its continued fraction (modified Lentz). */
function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast only on one side of the mean; use the symmetry on the other.
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

const TINY = 1e-300;
const EPSILON = 1e-15;

function betaFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const coefficient of [
      (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
      (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
    ]) {
      d = 1 + coefficient * d;
      if (Math.abs(d) < TINY) d = TINY;
      c = 1 + coefficient / c;
      if (Math.abs(c) < TINY) c = TINY;
      d = 1 / d;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < EPSILON) break;
  }
  return h;
}

/** ln Gamma(z) for z > 0 (Lanczos, g = 7, 9 terms; relative error about 1e-15). */
function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const x = z - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
