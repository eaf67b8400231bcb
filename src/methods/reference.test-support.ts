/**
 * Float64 reference implementations, a straight whole-array transcription of mergekit-spec Appendix B (itself checked
 * against mergekit's own functions, spec §9). Deliberately simple: no chunking, no passes, plain sorts. The kernels
 * are tested against these.
 */
type Vec = Float64Array;

const norm = (a: Vec) => Math.sqrt(dot(a, a));
function dot(a: Vec, b: Vec): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}
const map = (n: number, f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));

export function slerp(t: number, a: Vec, b: Vec, thresh = 0.9995, eps = 1e-8): Vec {
  const na = norm(a);
  const nb = norm(b);
  const ua = na > eps ? a.map((v) => v / na) : a;
  const ub = nb > eps ? b.map((v) => v / nb) : b;
  const d = dot(ua, ub);
  if (Math.abs(d) > thresh) return map(a.length, (i) => (1 - t) * a[i]! + t * b[i]!);
  const th = Math.acos(d);
  return map(a.length, (i) => (Math.sin((1 - t) * th) * a[i]! + Math.sin(t * th) * b[i]!) / Math.sin(th));
}

export function nearswap(t: number, base: Vec, other: Vec): Vec {
  return map(base.length, (i) => {
    const w = Math.min(1, Math.max(0, t / Math.max(Math.abs(base[i]! - other[i]!), 1e-6)));
    return w * other[i]! + (1 - w) * base[i]!;
  });
}

export function linear(xs: Vec[], ws: number[], normalize = true): Vec {
  const total = ws.reduce((a, b) => a + b, 0);
  return map(xs[0]!.length, (i) => xs.reduce((s, x, m) => s + ws[m]! * x[i]!, 0) / (normalize ? total : 1));
}

/** Indexes sorted by key, stable. */
function stableOrder(keys: ArrayLike<number>): number[] {
  return Array.from({ length: keys.length }, (_, i) => i).sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b);
}

export function topkMask(delta: Vec, density: number): Vec {
  const k = Math.floor(density * delta.length);
  const order = stableOrder(delta.map((v) => -Math.abs(v)));
  const m = new Float64Array(delta.length);
  for (const i of order.slice(0, k)) m[i] = 1;
  return m;
}

export function breadcrumbsMask(delta: Vec, density: number, gamma: number): Vec {
  const n = delta.length;
  const keep = Math.floor(density * n);
  let top = Math.floor(gamma * n);
  let bottom = n - keep - top;
  if (bottom < 0) {
    top += bottom;
    bottom = 0;
  }
  const order = stableOrder(delta.map((v) => Math.abs(v)));
  const m = new Float64Array(n);
  for (const i of order.slice(bottom, n - top)) m[i] = 1;
  return m;
}

export function l1Rescale(delta: Vec, mask: Vec): Vec {
  const kept = delta.map((v, i) => v * mask[i]!);
  const before = delta.reduce((s, v) => s + Math.abs(v), 0);
  const after = kept.reduce((s, v) => s + Math.abs(v), 0);
  return before < 1e-7 || after < 1e-7 ? kept : kept.map((v) => v * (before / after));
}

export interface GtaOptions {
  readonly masks?: (Vec | undefined)[];
  readonly consensus?: boolean;
  readonly normalize?: boolean;
  readonly lambda?: number;
  readonly rescale?: boolean;
}

export function gta(base: Vec, xs: Vec[], ws: number[], options: GtaOptions = {}): Vec {
  const deltas = xs.map((x, i) => {
    const d = x.map((v, e) => Math.fround(v - base[e]!));
    const mask = options.masks?.[i];
    if (mask === undefined) return d;
    return options.rescale === true ? l1Rescale(d, mask) : d.map((v, e) => v * mask[e]!);
  });
  return map(base.length, (e) => {
    const wd = deltas.map((d, i) => ws[i]! * d[e]!);
    let mixed: number;
    let div: number;
    if (options.consensus === true) {
      const majority = wd.reduce((a, b) => a + b, 0) >= 0 ? 1 : -1;
      const agree = wd.map((v) => (Math.sign(v) === majority ? 1 : 0));
      mixed = wd.reduce((s, v, i) => s + v * agree[i]!, 0);
      div = ws.reduce((s, w, i) => s + w * agree[i]!, 0);
      if (div === 0) div = 1;
    } else {
      mixed = wd.reduce((a, b) => a + b, 0);
      div = ws.reduce((a, b) => a + b, 0);
      if (Math.abs(div) < 1e-8) div = 1;
    }
    if (options.normalize === true) mixed /= div;
    return base[e]! + mixed * (options.lambda ?? 1);
  });
}

function nuslerpVector(t: number, a: number[], b: number[]): number[] {
  const na = Math.sqrt(a.reduce((s, v) => s + v * v, 0));
  const nb = Math.sqrt(b.reduce((s, v) => s + v * v, 0));
  let c = a.reduce((s, v, i) => s + (v / Math.max(na, 1e-7)) * (b[i]! / Math.max(nb, 1e-7)), 0);
  c = Math.min(1, Math.max(-1, c));
  const th = Math.acos(c);
  if (Math.abs(Math.sin(th)) < 1e-8) return a.map((v, i) => (1 - t) * v + t * b[i]!);
  return a.map((v, i) => (Math.sin((1 - t) * th) * v + Math.sin(t * th) * b[i]!) / Math.sin(th));
}

/** nuslerp with vectors = the whole tensor, its rows, or its columns; `base` makes it a slerp of task vectors. */
export function nuslerp(t: number, a: Vec, b: Vec, shape: [number, number], mode: 'flat' | 'rows' | 'columns', base?: Vec): Vec {
  const [rows, cols] = shape;
  const p = base === undefined ? a : a.map((v, i) => v - base[i]!);
  const q = base === undefined ? b : b.map((v, i) => v - base[i]!);
  const out = new Float64Array(a.length);
  const groups: number[][] =
    mode === 'flat'
      ? [Array.from({ length: a.length }, (_, i) => i)]
      : mode === 'rows'
        ? Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => r * cols + c))
        : Array.from({ length: cols }, (_, c) => Array.from({ length: rows }, (_, r) => r * cols + c));
  for (const idx of groups) {
    const y = nuslerpVector(t, idx.map((i) => p[i]!), idx.map((i) => q[i]!));
    idx.forEach((i, k) => {
      out[i] = y[k]! + (base === undefined ? 0 : base[i]!);
    });
  }
  return out;
}

export function multislerp(xs: Vec[], ws: number[], base?: Vec, normalizeWeights = true, eps = 1e-8): Vec {
  const X = xs.map((x) => (base === undefined ? x : x.map((v, i) => v - base[i]!)));
  const total = ws.reduce((a, b) => a + b, 0);
  const w = normalizeWeights ? ws.map((v) => v / total) : ws;
  const n = X.map(norm);
  const U = X.map((x, i) => x.map((v) => v / (n[i]! + eps)));
  let m = map(X[0]!.length, (e) => U.reduce((s, u, i) => s + w[i]! * u[e]!, 0));
  const nm = norm(m);
  m = m.map((v) => v / nm);
  const proj = U.map((u) => dot(u, m));
  const tr = map(m.length, (e) => U.reduce((s, u, i) => s + w[i]! * (u[e]! - proj[i]! * m[e]!), 0));
  const tn = norm(tr) + eps;
  const scale = n.reduce((s, v, i) => s + v * w[i]!, 0);
  return map(m.length, (e) => (m[e]! * Math.cos(tn) + (tr[e]! * Math.sin(tn)) / tn) * scale + (base === undefined ? 0 : base[e]!));
}

export function karcher(xs: Vec[], maxIter = 10, tol = 1e-5): Vec {
  const a = 1 / xs.length;
  const norms = xs.map(norm);
  const units = xs.map((x, i) => (norms[i]! > 0 ? x.map((v) => v / norms[i]!) : new Float64Array(x.length)));
  const idx = norms.flatMap((n, i) => (n > tol ? [i] : []));
  const al = idx.map(() => 1 / idx.length);
  const U = idx.map((i) => units[i]!);
  let u = map(xs[0]!.length, (e) => U.reduce((s, v, k) => s + al[k]! * v[e]!, 0));
  const nu = norm(u);
  u = nu < tol ? U[0]!.slice() : u.map((v) => v / nu);
  for (let it = 0; it < maxIter; it++) {
    const T = new Float64Array(u.length);
    U.forEach((v, k) => {
      const d = Math.min(1, Math.max(-1, dot(u, v)));
      const th = Math.acos(d);
      if (th < tol) return;
      for (let e = 0; e < T.length; e++) T[e]! += al[k]! * (th / Math.sin(th)) * (v[e]! - d * u[e]!);
    });
    const nT = norm(T);
    if (nT < tol) break;
    u = u.map((v, e) => Math.cos(nT) * v + (Math.sin(nT) * T[e]!) / nT);
    const un = norm(u);
    if (un > tol) u = u.map((v) => v / un);
  }
  const s = norms.reduce((acc, n) => acc + a * n, 0);
  return u.map((v) => s * v);
}

export function modelStock(base: Vec, xs: Vec[]): Vec {
  const off = xs.map((x) => x.map((v, i) => v - base[i]!));
  const cs: number[] = [];
  for (let i = 0; i < off.length; i++) {
    for (let j = i + 1; j < off.length; j++) {
      cs.push(Math.min(1, Math.max(-1, dot(off[i]!, off[j]!) / Math.max(norm(off[i]!) * norm(off[j]!), 1e-6))));
    }
  }
  const c = cs.reduce((a, b) => a + b, 0) / cs.length;
  const k = xs.length;
  const t = (k * c) / (1 + (k - 1) * c);
  return map(base.length, (e) => (t * xs.reduce((s, x) => s + x[e]!, 0)) / k + (1 - t) * base[e]!);
}

export function sce(base: Vec, xs: Vec[], selectTopk = 1): Vec {
  let T = xs.map((x) => x.map((v, i) => v - base[i]!));
  if (selectTopk < 1) {
    const variance = map(base.length, (e) => {
      const mean = T.reduce((s, t) => s + t[e]!, 0) / T.length;
      return T.reduce((s, t) => s + (t[e]! - mean) ** 2, 0) / T.length;
    });
    const k = Math.floor(variance.filter((v) => v !== 0).length * selectTopk);
    const keep = new Float64Array(base.length);
    for (const i of stableOrder(variance.map((v) => -Math.abs(v))).slice(0, k)) keep[i] = 1;
    T = T.map((t) => t.map((v, i) => v * keep[i]!));
  }
  const w0 = T.map((t) => t.reduce((s, v) => s + v * v, 0) / t.length);
  const total = w0.reduce((a, b) => a + b, 0);
  const w = Math.abs(total) >= 1e-6 ? w0.map((v) => v / total) : w0.map(() => 1 / w0.length);
  return map(base.length, (e) => {
    const majority = T.reduce((s, t) => s + t[e]!, 0) >= 0 ? 1 : -1;
    let num = 0;
    let den = 0;
    T.forEach((t, i) => {
      if (Math.sign(t[e]!) === majority) {
        num += w[i]! * t[e]!;
        den += w[i]!;
      }
    });
    return base[e]! + num / Math.max(den, 1e-6);
  });
}

/**
 * PEFT's LoRA merge in float64: `w + scale·B·A` for a row-major weight of `rows × columns`, with A `[rank, in]` and
 * B `[out, rank]`; with fan_in_fan_out the weight is `[in, out]` and the delta is `(B·A)ᵀ`.
 */
export function loraMerge(w: Vec, a: Vec, b: Vec, rank: number, scale: number, columns: number, fanInFanOut = false): Vec {
  const inFeatures = a.length / rank;
  return w.map((v, e) => {
    const row = Math.floor(e / columns);
    const col = e % columns;
    const [out, inn] = fanInFanOut ? [col, row] : [row, col];
    let d = 0;
    for (let k = 0; k < rank; k++) d += b[out * rank + k]! * a[k * inFeatures + inn]!;
    return v + scale * d;
  });
}
