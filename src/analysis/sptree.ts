/**
 * A point quadtree on flat typed arrays for Barnes–Hut t-SNE (van der Maaten 2014): cells far from
 * a point, relative to their size, act as one heavy point at their centre of mass.
 *
 * Rebuilt every iteration (the embedding moves), so the build is a counting partition over an index
 * permutation rather than point-by-point insertion, and nodes live in preallocated arrays that grow
 * by doubling.
 */

/** Deeper cells are not split: points closer than side·2⁻⁴⁰ share a leaf (duplicates would recurse forever). */
const MAX_DEPTH = 40;

/** Quadtree over 2-D points; `build` replaces the contents. */
export class QuadTree {
  /** Centre of mass of each node, x and y. */
  comX: Float64Array;
  comY: Float64Array;
  /** Side length of each node's square cell. */
  width: Float64Array;
  /** Points in each node's subtree. */
  count: Int32Array;
  /** Index of a node's first child (children are 4 consecutive nodes), or −1 for a leaf. */
  firstChild: Int32Array;
  /** A leaf's points are order[start, start + count). */
  start: Int32Array;
  /** Point indices grouped by leaf. */
  order: Int32Array;
  /** Nodes in use; node 0 is the root. */
  size = 0;
  private scratch: Int32Array;

  constructor(capacity = 1024) {
    this.comX = new Float64Array(capacity);
    this.comY = new Float64Array(capacity);
    this.width = new Float64Array(capacity);
    this.count = new Int32Array(capacity);
    this.firstChild = new Int32Array(capacity);
    this.start = new Int32Array(capacity);
    this.order = new Int32Array(0);
    this.scratch = new Int32Array(0);
  }

  /** Build over n points, `y` n × 2 row-major. */
  build(y: Float64Array, n: number): void {
    if (this.order.length !== n) {
      this.order = new Int32Array(n);
      this.scratch = new Int32Array(n);
    }
    const order = this.order;
    for (let i = 0; i < n; i++) order[i] = i;
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity; // prettier-ignore
    for (let i = 0; i < n; i++) {
      const px = y[2 * i];
      const py = y[2 * i + 1];
      if (px < minX) minX = px;
      if (px > maxX) maxX = px;
      if (py < minY) minY = py;
      if (py > maxY) maxY = py;
    }
    const side = Math.max(maxX - minX, maxY - minY) * (1 + 1e-9) + 1e-300;
    this.size = 0;
    // Work list of nodes to split, with their cell corner and depth.
    const root = this.allocate(4);
    this.size = 1;
    const stack: number[] = [root, 0, n, minX, minY, 0];
    this.setNode(root, y, 0, n, side);
    while (stack.length > 0) {
      const depth = stack.pop() as number;
      const y0 = stack.pop() as number;
      const x0 = stack.pop() as number;
      const end = stack.pop() as number;
      const begin = stack.pop() as number;
      const node = stack.pop() as number;
      const w = this.width[node];
      if (end - begin <= 1 || depth >= MAX_DEPTH) continue;
      const half = w / 2;
      const midX = x0 + half;
      const midY = y0 + half;
      // Counting partition into quadrants 0: (low x, low y), 1: (high x, low y), 2: (low x, high y), 3: (high, high).
      const counts = [0, 0, 0, 0];
      for (let s = begin; s < end; s++) {
        const i = order[s];
        const q = (y[2 * i] >= midX ? 1 : 0) + (y[2 * i + 1] >= midY ? 2 : 0);
        counts[q]++;
      }
      const offsets = [begin, begin + counts[0], begin + counts[0] + counts[1], begin + counts[0] + counts[1] + counts[2]];
      const cursor = offsets.slice();
      const scratch = this.scratch;
      for (let s = begin; s < end; s++) {
        const i = order[s];
        const q = (y[2 * i] >= midX ? 1 : 0) + (y[2 * i + 1] >= midY ? 2 : 0);
        scratch[cursor[q]++] = i;
      }
      for (let s = begin; s < end; s++) order[s] = scratch[s];
      const first = this.allocate(4);
      this.firstChild[node] = first;
      for (let q = 0; q < 4; q++) {
        const child = first + q;
        const cb = offsets[q];
        const ce = cb + counts[q];
        this.setNode(child, y, cb, ce, half);
        if (ce - cb > 1) stack.push(child, cb, ce, x0 + (q & 1 ? half : 0), y0 + (q & 2 ? half : 0), depth + 1);
      }
    }
  }

  /** Reserve `k` consecutive nodes, growing the arrays if needed; returns the first. */
  private allocate(k: number): number {
    const first = this.size;
    this.size += k;
    if (this.size > this.count.length) {
      const cap = Math.max(this.size, this.count.length * 2);
      this.comX = grow(this.comX, cap);
      this.comY = grow(this.comY, cap);
      this.width = grow(this.width, cap);
      this.count = growInt(this.count, cap);
      this.firstChild = growInt(this.firstChild, cap);
      this.start = growInt(this.start, cap);
    }
    return first;
  }

  private setNode(node: number, y: Float64Array, begin: number, end: number, w: number): void {
    let sx = 0;
    let sy = 0;
    for (let s = begin; s < end; s++) {
      const i = this.order[s];
      sx += y[2 * i];
      sy += y[2 * i + 1];
    }
    const c = end - begin;
    this.comX[node] = c > 0 ? sx / c : 0;
    this.comY[node] = c > 0 ? sy / c : 0;
    this.width[node] = w;
    this.count[node] = c;
    this.firstChild[node] = -1;
    this.start[node] = begin;
  }
}

function grow(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

function growInt(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}

/**
 * Barnes–Hut repulsion: for every point i, force[2i, 2i+1] = Σ_{j≠i} w_ij²·(y_i − y_j) with
 * w_ij = 1 / (1 + ‖y_i − y_j‖²), cells with side / distance < theta summarised by their centre of
 * mass (scikit-learn's criterion). Returns Z = Σ_{i≠j} w_ij under the same approximation. The
 * normalised repulsive gradient term is force / Z.
 */
export function barnesHutRepulsion(tree: QuadTree, y: Float64Array, n: number, theta: number, force: Float64Array): number {
  const theta2 = theta * theta;
  const { comX, comY, width, count, firstChild, start, order } = tree;
  const stack = new Int32Array(4 * MAX_DEPTH + 8);
  let z = 0;
  for (let i = 0; i < n; i++) {
    const px = y[2 * i];
    const py = y[2 * i + 1];
    let fx = 0;
    let fy = 0;
    let zi = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      const c = count[node];
      if (c === 0) continue;
      const child = firstChild[node];
      if (child < 0) {
        // Leaf: its points (one, or duplicates at the depth limit) interact exactly.
        for (let s = start[node], e = start[node] + c; s < e; s++) {
          const j = order[s];
          if (j === i) continue;
          const dx = px - y[2 * j];
          const dy = py - y[2 * j + 1];
          const w = 1 / (1 + dx * dx + dy * dy);
          zi += w;
          fx += w * w * dx;
          fy += w * w * dy;
        }
        continue;
      }
      const dx = px - comX[node];
      const dy = py - comY[node];
      const d2 = dx * dx + dy * dy;
      const wd = width[node];
      if (wd * wd < theta2 * d2) {
        const w = 1 / (1 + d2);
        const cw = c * w;
        zi += cw;
        fx += cw * w * dx;
        fy += cw * w * dy;
      } else {
        stack[top++] = child;
        stack[top++] = child + 1;
        stack[top++] = child + 2;
        stack[top++] = child + 3;
      }
    }
    force[2 * i] = fx;
    force[2 * i + 1] = fy;
    z += zi;
  }
  return z;
}
