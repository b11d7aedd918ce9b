// Clustering for dedupe: records joined by links become one customer (connected components),
// built greedily from the strongest link down with a guard against chaining. A link between two
// clusters that each already hold more than one record merges them only when the evidence of all
// scored pairs across the two clusters, not just this link, still favours a match: the sum of
// their log-odds (match weight plus prior, capped at ±CAP bits a pair) must be positive. So one
// strong-looking link cannot pull in a cluster whose other members score as different people,
// while pairs never compared (blocked apart) add no evidence either way.
const CAP = 20;

export interface ClusterInput {
  size: number;
  a: Int32Array;
  b: Int32Array;
  count: number;
  /** log2 posterior odds per candidate pair (match weight + log2 prior odds). */
  logOdds: Float64Array;
  /** Which candidates are links (decision above the link threshold). */
  isLink: Uint8Array;
  guard: boolean;
  /**
   * Pairs known to be one entity from outside the model (shared cross-references, exact
   * e-mail). They are joined first, without the guard; probabilistic links then join the
   * resulting clusters under the guard as usual. Optional: absent, nothing changes.
   */
  certain?: { a: Int32Array; b: Int32Array; count: number };
}

export interface Clusters {
  /** Cluster number per record (the smallest record index in it). */
  cluster: Int32Array;
  /** Links the guard refused (candidate indices). */
  refused: number[];
  count: number;
  largest: number;
}

export function clusterLinks(input: ClusterInput): Clusters {
  const { size, a, b, count, logOdds, isLink } = input;
  const parent = new Int32Array(size);
  for (let i = 0; i < size; i++) parent[i] = i;
  const members: number[][] = Array.from({ length: size }, (_, i) => [i]);
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r]!;
    while (parent[x] !== r) {
      const next = parent[x]!;
      parent[x] = r;
      x = next;
    }
    return r;
  };
  // Adjacency of every scored pair (CSR), to read the cross-cluster evidence.
  const degree = new Int32Array(size + 1);
  for (let p = 0; p < count; p++) {
    degree[a[p]! + 1]!++;
    degree[b[p]! + 1]!++;
  }
  for (let i = 0; i < size; i++) degree[i + 1]! += degree[i]!;
  const fill = degree.slice(0, size);
  const neighbour = new Int32Array(count * 2);
  const pairOf = new Int32Array(count * 2);
  for (let p = 0; p < count; p++) {
    const x = a[p]!;
    const y = b[p]!;
    neighbour[fill[x]!] = y;
    pairOf[fill[x]!++] = p;
    neighbour[fill[y]!] = x;
    pairOf[fill[y]!++] = p;
  }
  const union = (rx: number, ry: number): void => {
    let mx = members[rx]!;
    let my = members[ry]!;
    if (mx.length > my.length) {
      [rx, ry, mx, my] = [ry, rx, my, mx];
    }
    parent[rx] = ry;
    for (const x of mx) my.push(x);
    members[rx] = [];
  };
  if (input.certain !== undefined) {
    const c = input.certain;
    for (let i = 0; i < c.count; i++) {
      const rx = find(c.a[i]!);
      const ry = find(c.b[i]!);
      if (rx !== ry) union(rx, ry);
    }
  }
  const links: number[] = [];
  for (let p = 0; p < count; p++) if (isLink[p] === 1) links.push(p);
  links.sort((x, y) => logOdds[y]! - logOdds[x]!);
  const refused: number[] = [];
  for (const p of links) {
    let rx = find(a[p]!);
    let ry = find(b[p]!);
    if (rx === ry) continue;
    let mx = members[rx]!;
    const my = members[ry]!;
    if (input.guard && mx.length > 1 && my.length > 1) {
      if (mx.length > my.length) {
        [rx, ry] = [ry, rx];
        mx = my;
      }
      let evidence = 0;
      for (const x of mx) {
        for (let k = degree[x]!; k < degree[x + 1]!; k++) {
          if (find(neighbour[k]!) === ry) evidence += Math.max(-CAP, Math.min(CAP, logOdds[pairOf[k]!]!));
        }
      }
      if (evidence <= 0) {
        refused.push(p);
        continue;
      }
    }
    union(rx, ry);
  }
  const cluster = new Int32Array(size);
  const first = new Int32Array(size).fill(-1);
  let clusters = 0;
  let largest = 0;
  for (let i = 0; i < size; i++) {
    const r = find(i);
    if (first[r] === -1) {
      first[r] = i;
      clusters++;
      largest = Math.max(largest, members[r]!.length);
    }
    cluster[i] = first[r]!;
  }
  return { cluster, refused, count: clusters, largest };
}
