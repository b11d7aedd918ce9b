// `npx meridian …` as a user runs it: a real child process, its output and its exit code.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI_BIN = fileURLToPath(new URL('../../bin/meridian.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** This process's environment without anything that configures Meridian, plus `extra`: a child configured only by what the test says. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (/^(DATABASE_URL|REDIS_URL|NODE_ENV|NODE_OPTIONS|SALESFORCE_|STRIPE_|ZENDESK_|ERP_|SANDBOX_|MERIDIAN_)/.test(k)) delete env[k];
  return { ...env, ...extra };
}

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  /** Everything it printed so far, stdout and stderr together. */
  output(): string;
  /** Its exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals | null>;
}

/**
 * A long-running command (`serve`, `worker`) as an operator starts it; resolves once its output
 * matches `ready`, and fails with what it printed if it exits first. The child is in `running`
 * from its start until it exits, so a test can end the ones that never became ready too.
 */
export function startCli(args: string[], env: NodeJS.ProcessEnv, ready: RegExp, running: Set<ChildProcessWithoutNullStreams>): Promise<CliProcess> {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env });
  running.add(child);
  child.on('close', () => running.delete(child));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
  return new Promise((resolve, reject) => {
    const onData = (): void => {
      if (!ready.test(out)) return;
      child.stdout.off('data', onData);
      resolve({ child, output: () => out, exited });
    };
    child.stdout.on('data', onData);
    void exited.then((code) => reject(new Error(`meridian ${args.join(' ')} exited (${String(code)}) before it was ready:\n${out}`)));
  });
}
