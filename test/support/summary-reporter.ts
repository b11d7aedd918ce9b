// Prints one plain closing line ("Tests: N passed, N failed, N skipped") after vitest's own
// summary, a form any CI log reader understands. Errors caught outside any test (an unhandled
// rejection while a file ran) fail the run with every test passed; vitest prints them far above
// the summary, so their first lines are repeated here, where a log's tail shows them.
import type { Reporter, TestModule } from 'vitest/node';

type SerializedError = { name?: unknown; message?: unknown; stack?: unknown; stacks?: { file: string; line: number; method: string }[] };

function describeError(e: unknown): string {
  const err = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as SerializedError;
  const head = `${typeof err.name === 'string' ? err.name : 'Error'}: ${typeof err.message === 'string' ? err.message : String(err.message)}`;
  const frames = Array.isArray(err.stacks) ? err.stacks.slice(0, 4).map((f) => `    at ${f.method || '<anonymous>'} (${f.file}:${String(f.line)})`) : [];
  return [head, ...frames].join('\n');
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly unknown[] = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of testModules) {
      let failedHere = 0;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedHere++;
        else skipped++;
      }
      // A file that failed outside its tests (a beforeAll hook, an import) counts as one failure,
      // even when its tests were all skipped because of it.
      if (m.state() === 'failed' && failedHere === 0) failedHere = 1;
      failed += failedHere;
    }
    for (const e of unhandledErrors) process.stdout.write(`\nUnhandled error (fails the run): ${describeError(e)}\n`);
    const errors = unhandledErrors.length > 0 ? `, ${String(unhandledErrors.length)} unhandled error${unhandledErrors.length === 1 ? '' : 's'}` : '';
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped${errors}\n`);
  }
}
