// Dot paths into a SourceRecord's data: "Name", "Owner.Name", "address.line1",
// "Contacts[0].Email", "subscriptions.data", "domain_names[0]".

/** One step: a property name, or an array index. */
export type PathStep = string | number;

const SEGMENT = /^([A-Za-z_$][\w$]*)((?:\[\d+\])*)$/;

// Parsed once: the paths read are the field spec's own, a few dozen (reads happen per field, per
// record, on every golden record built). Bounded all the same, for paths that come from input.
const parsed = new Map<string, readonly PathStep[] | null>();
const PARSED_MAX = 10_000;

function stepsOf(path: string): readonly PathStep[] | null {
  let steps = parsed.get(path);
  if (steps === undefined) {
    steps = parsePath(path);
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(path, steps);
  }
  return steps;
}

/** The steps of a path, or `null` when it is not a path. */
export function parsePath(path: string): PathStep[] | null {
  if (path === '') return null;
  const steps: PathStep[] = [];
  for (const segment of path.split('.')) {
    const m = SEGMENT.exec(segment);
    if (m === null) return null;
    steps.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) steps.push(Number(idx[1]));
  }
  return steps;
}

export function isPath(path: string): boolean {
  return parsePath(path) !== null;
}

/** The value at `path` in `data`; `undefined` where any step is missing. */
export function getPath(data: unknown, path: string): unknown {
  const steps = stepsOf(path);
  if (steps === null) return undefined;
  let cur: unknown = data;
  for (const step of steps) {
    if (cur === null || cur === undefined) return undefined;
    if (typeof step === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = (cur as unknown[])[step];
    } else {
      if (typeof cur !== 'object' || Array.isArray(cur)) return undefined;
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return cur;
}
