// Request accounting: what each emulator was asked, readable by tests and benchmarks.

export interface RequestRecord {
  seq: number;
  at: string;
  method: string;
  path: string;
  /** Query string without the leading '?', '' when none. */
  query: string;
  /** A stable name of the operation, set by the emulator ('query', 'customers.retrieve' …). */
  operation: string;
  /** How many records the call asked for or carried (ids in a batch retrieve, rows in a page). */
  batchSize: number | null;
  status: number;
  /** What fault, if any, answered instead of the emulator. */
  fault: 'error' | 'rateLimited' | 'outage' | null;
  durationMs: number;
}

export interface RequestFilter {
  method?: string;
  operation?: string;
  pathPrefix?: string;
  sinceSeq?: number;
}

export class RequestLog {
  #records: RequestRecord[] = [];
  #seq = 0;
  readonly #max: number;

  constructor(max = 100_000) {
    this.#max = max;
  }

  nextSeq(): number {
    return ++this.#seq;
  }

  get lastSeq(): number {
    return this.#seq;
  }

  add(record: RequestRecord): void {
    this.#records.push(record);
    if (this.#records.length > this.#max) this.#records.splice(0, this.#records.length - this.#max);
  }

  list(filter: RequestFilter = {}): RequestRecord[] {
    return this.#records.filter(
      (r) =>
        (filter.method === undefined || r.method === filter.method) &&
        (filter.operation === undefined || r.operation === filter.operation) &&
        (filter.pathPrefix === undefined || r.path.startsWith(filter.pathPrefix)) &&
        (filter.sinceSeq === undefined || r.seq > filter.sinceSeq),
    );
  }

  count(filter: RequestFilter = {}): number {
    return this.list(filter).length;
  }

  /** Calls per operation, e.g. `{ query: 3, 'composite.retrieve': 1 }`. */
  countsByOperation(filter: RequestFilter = {}): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.list(filter)) out[r.operation] = (out[r.operation] ?? 0) + 1;
    return out;
  }

  clear(): void {
    this.#records = [];
  }
}
