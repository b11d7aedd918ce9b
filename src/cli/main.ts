// `npx meridian <command>`: one entry for every operator task. Arguments are validated up
// front; a bad one stops the command with one line naming it, the usage, and exit code 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, devErrors, readSandboxEnv } from '../config/env.ts';
import { DataDirInUseError } from '../store/data-dir-lock.ts';
import { SandboxWorldError } from '../sandbox/world-marker.ts';
import { ROLES } from '../access/principal.ts';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

interface Command {
  summary: string;
  usage: string;
  options: Options;
  /** Words besides the options (keys' subcommand, match's files); without it any is refused. */
  takesArguments?: true;
  run(values: Values, positionals: string[]): Promise<number>;
}

class UsageError extends Error {}

/**
 * The options and words of a command line, or a UsageError of one line. parseArgs runs loose:
 * strict, it refuses `--customers -5` as "ambiguous" in three lines about a forgotten value,
 * where the range check would say what is wrong. The checks strict mode makes are made here.
 */
function parseCommandLine(name: string, command: Command, args: string[]): { values: Values; positionals: string[] } {
  const options: Options = { ...command.options, help: { type: 'boolean', short: 'h' } };
  const { values, positionals, tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const type = Object.hasOwn(options, t.name) ? options[t.name]?.type : undefined;
    if (type === undefined) throw new UsageError(`unknown option ${t.rawName}`);
    if (type === 'boolean' && t.value !== undefined) throw new UsageError(`${t.rawName} takes no value`);
    if (type === 'string') {
      if (t.value === undefined) throw new UsageError(`${t.rawName} needs a value`);
      // `--customers --seed 3` gives --customers the value "--seed"; a negative number is a value.
      if (!t.inlineValue && t.value.startsWith('-') && !/^-\d/.test(t.value)) throw new UsageError(`${t.rawName} needs a value (the next word, ${t.value}, is an option)`);
    }
  }
  if (values['help'] !== true && command.takesArguments !== true && positionals.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (${name} takes options only)`);
  }
  return { values, positionals };
}

function intOption(values: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

const notYet = (name: string, issue: string): Command => ({
  summary: `(not built yet: ${issue})`,
  usage: `meridian ${name}`,
  options: {},
  run: () => {
    console.error(`meridian ${name} is not built yet (${issue}).`);
    return Promise.resolve(1);
  },
});

const commands: Record<string, Command> = {
  sandbox: {
    summary: 'run every emulator standalone on the contract ports, seeded with a demo world',
    usage: `meridian sandbox [--customers N] [--seed S] [--webhooks BASE_URL]

  --customers N      customers in the generated world (default 1000)
  --seed S           world seed (default 42); the same seed gives the same world
  --webhooks URL     send each system's change notifications to URL/webhooks/<system>

Ports come from SANDBOX_SALESFORCE_PORT (4401), SANDBOX_STRIPE_PORT (4402),
SANDBOX_ZENDESK_PORT (4403) and SANDBOX_ERP_PORT (4406). The ERP schema goes into
DATABASE_URL when set, otherwise into an in-memory embedded Postgres.`,
    options: {
      customers: { type: 'string' },
      seed: { type: 'string' },
      webhooks: { type: 'string' },
    },
    run: async (values) => {
      const customers = intOption(values, 'customers', 1000, 1, 2_000_000);
      const seed = intOption(values, 'seed', 42, 0, 2 ** 31 - 1);
      let base: URL | undefined;
      if (typeof values['webhooks'] === 'string') {
        try {
          base = new URL(values['webhooks']);
        } catch {
          throw new UsageError(`--webhooks must be an http(s) URL, got ${JSON.stringify(values['webhooks'])}`);
        }
      }
      const env = readSandboxEnv();
      const { startSandbox } = await import('../sandbox/index.ts');
      const { describeSandbox } = await import('../sandbox/describe.ts');
      const { sandboxPortsFrom, webhookTargets } = await import('../sandbox/gateway.ts');
      const webhooks = base ? webhookTargets(base) : undefined;
      const { assertPortsFree, explainListenErrorOf, probePostgres, sandboxPorts } = await import('../server/startup.ts');
      const ports = sandboxPorts(env);
      await assertPortsFree(env.SANDBOX_HOST, ports);
      if (env.DATABASE_URL) await probePostgres('DATABASE_URL', env.DATABASE_URL);
      const t0 = performance.now();
      const sandbox = await startSandbox({
        customers,
        seed,
        host: env.SANDBOX_HOST,
        ports: sandboxPortsFrom(env),
        ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
        ...(webhooks ? { webhooks } : {}),
      }).catch((e: unknown) => {
        throw explainListenErrorOf(e, env.SANDBOX_HOST, ports) ?? e;
      });
      console.log(describeSandbox(sandbox, performance.now() - t0));
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          console.log('\nstopping the sandbox…');
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await sandbox.close();
      return 0;
    },
  },
  serve: {
    summary: 'the GraphQL gateway (embedded default when nothing is configured)',
    usage: `meridian serve

Serves GraphQL on http://localhost:$PORT/graphql (PORT, default 4000). With no system
configured it runs the sandbox, embedded Postgres (MERIDIAN_DATA_DIR) and in-memory cache;
DATABASE_URL and REDIS_URL switch to real servers. See README § Environment.

Every GraphQL request sends Authorization: Bearer <API key or JWT>. The embedded default makes
an admin key in MERIDIAN_DATA_DIR/admin.key and prints it; on real systems configure
MERIDIAN_API_KEYS, keys from \`meridian keys create\`, or MERIDIAN_JWT_* (docs/access.md).`,
    options: {},
    run: async () => {
      const { readGatewayConfig } = await import('../config/gateway.ts');
      const config = readGatewayConfig(process.env);
      const { startApp } = await import('../app.ts');
      const { createLogger } = await import('../observability/logger.ts');
      const { sandboxSummary } = await import('../sandbox/gateway.ts');
      const logger = createLogger({ level: config.env.MERIDIAN_LOG_LEVEL, production: config.env.NODE_ENV === 'production', ...(config.env.MERIDIAN_LOG_FORMAT ? { format: config.env.MERIDIAN_LOG_FORMAT } : {}) });
      // Listening from the very start: a SIGTERM during the boot (an orchestrator giving up, a
      // Ctrl-C) stops the gateway once it is up, closing the store cleanly, instead of killing
      // the process with the embedded store open. A second signal stops at once.
      let signalled = 0;
      const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
        const onSignal = (signal: NodeJS.Signals): void => {
          signalled++;
          if (signalled === 1) {
            resolve(signal);
            return;
          }
          console.error(`meridian serve: ${signal} again: exiting now, without waiting for in-flight work`);
          process.exit(130);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      const t0 = performance.now();
      const app = await startApp({ config, logger });
      const lines = [
        `Meridian is ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        `  GraphQL     ${app.url}/graphql   (browser: ${app.url}/)`,
        `  WebSocket   ${app.url.replace(/^http/, 'ws')}/graphql`,
        `  health      ${app.url}/healthz   ${app.url}/readyz`,
        `  metrics     ${app.url}/metrics${config.env.OTEL_EXPORTER_OTLP_ENDPOINT ? '; traces over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT)' : ''}`,
        `  store       ${config.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.env.MERIDIAN_DATA_DIR}/pgdata`}; cache ${config.env.REDIS_URL ? 'Redis' : 'in memory'}`,
      ];
      if (app.sandbox) {
        lines.push(`  sandbox     ${sandboxSummary(app.sandbox)}`);
      }
      const e = config.env;
      const { workerConcurrency } = await import('../sync/runtime.ts');
      lines.push(
        e.MERIDIAN_WORKER === 'on'
          ? `  sync        worker in-process (${workerConcurrency(e, e.DATABASE_URL ?? null) === 1 ? '1 job' : `${workerConcurrency(e, e.DATABASE_URL ?? null)} jobs`} at once); change feeds ${e.MERIDIAN_POLL_SECONDS > 0 ? `polled every ${e.MERIDIAN_POLL_SECONDS} s (MERIDIAN_POLL_SECONDS)` : 'not polled (MERIDIAN_POLL_SECONDS=0)'}`
          : '  sync        MERIDIAN_WORKER=off: webhooks are stored and queued; `npx meridian worker` processes them',
      );
      if (app.backfill) lines.push(`  identity    ${(await app.services.identity.count()).toLocaleString('en-US')} golden customers linked by backfill`);
      if (config.access.mode === 'off') {
        lines.push('  access      MERIDIAN_AUTH=off: NO AUTHENTICATION, every request runs as admin');
      } else if (app.localKey) {
        // The explorer reads the key from the fragment, which the browser never sends to the server.
        lines.push(
          `  API key     ${app.localKey.key}   (admin; ${app.localKey.created ? 'made now in' : 'kept in'} ${app.localKey.path}, mode 0600)`,
          `              export MERIDIAN_KEY=$(cat ${app.localKey.path}); curl -H "Authorization: Bearer $MERIDIAN_KEY" …`,
          `  explorer    ${app.url}/#key=${app.localKey.key}`,
        );
      } else {
        const ways = [
          ...(config.access.apiKeys.length > 0 ? [`${config.access.apiKeys.length} key(s) from MERIDIAN_API_KEYS`] : []),
          'keys from `meridian keys`',
          ...(config.access.jwt ? [`JWTs from ${config.access.jwt.issuer}`] : []),
        ];
        lines.push(`  access      Authorization: Bearer — ${ways.join(', ')}`);
      }
      console.log(lines.join('\n') + '\nCtrl-C stops it.');
      // A system that is down does not stop the start (it is retried); say so where the operator looks.
      app.readiness().then(
        (r) => {
          const down = Object.entries(r.dependencies).filter(([, d]) => !d.ok);
          if (down.length > 0) {
            console.log(`  degraded    ${down.map(([name, d]) => `${name} (${d.detail ?? 'unavailable'})`).join(', ')}: its fields answer SOURCE_UNAVAILABLE until it is back; /readyz follows it`);
          }
        },
        () => undefined,
      );
      const signal = await stopRequested;
      console.log(`stopping (${signal}): no new connections; in-flight requests get up to ${config.env.MERIDIAN_SHUTDOWN_GRACE_MS / 1000} s (MERIDIAN_SHUTDOWN_GRACE_MS)…`);
      const t1 = performance.now();
      await app.close();
      console.log(`stopped in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
      // Everything is closed. A request cut at the end of the grace period may still have a
      // resolver waiting on a system; it has no one left to answer, so it does not hold the exit.
      setTimeout(() => process.exit(process.exitCode ?? 0), 1_000).unref();
      return 0;
    },
  },
  keys: {
    summary: 'create, list and revoke API keys (sent as Authorization: Bearer <key>)',
    usage: `meridian keys create --role ROLE --name NAME
       meridian keys list [--all]
       meridian keys revoke <name|id>

  create   makes a key and prints it once on stdout (only the key: KEY=$(npx meridian keys create …));
           ROLE is one of ${ROLES.join(', ')}; NAME (1-64 letters, digits, . _ @ -) is what the audit
           records for the key's decisions, unique among keys in use
  list     the keys in use: id, name, role, created (never the key); --all adds revoked ones
  revoke   refuses the key from now on (gateways within 10 s); its row stays for the audit

Keys live in DATABASE_URL (or the embedded store in MERIDIAN_DATA_DIR, which is refused while
meridian serve holds it); only a SHA-256 of each key is stored. See docs/access.md.`,
    options: { role: { type: 'string' }, name: { type: 'string' }, all: { type: 'boolean' } },
    takesArguments: true,
    run: async (values, positionals) => {
      const [sub, ...rest] = positionals;
      if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') throw new UsageError(sub === undefined ? 'say create, list or revoke' : `unknown subcommand ${JSON.stringify(sub)} (create, list or revoke)`);
      const role = typeof values['role'] === 'string' ? values['role'] : undefined;
      const name = typeof values['name'] === 'string' ? values['name'] : undefined;
      if (sub === 'create') {
        if (role === undefined || name === undefined) throw new UsageError(`keys create needs --role and --name`);
        if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
        const { KEY_NAME_PATTERN } = await import('../access/key-store.ts');
        if (!KEY_NAME_PATTERN.test(name)) throw new UsageError(`--name must be 1 to 64 letters, digits and . _ @ - (starting with a letter or digit), got ${JSON.stringify(name)}`);
      } else if (role !== undefined || name !== undefined) {
        throw new UsageError(`--role and --name go with keys create only`);
      }
      if (sub === 'revoke' && rest.length !== 1) throw new UsageError('keys revoke takes one key name or id');
      if (sub !== 'revoke' && rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
      if (values['all'] !== undefined && sub !== 'list') throw new UsageError('--all goes with keys list only');
      const { readGatewayConfig } = await import('../config/gateway.ts');
      const config = readGatewayConfig(process.env);
      const { openStore } = await import('../app.ts');
      const { createKeyStore, KeyStoreError } = await import('../access/key-store.ts');
      const { runKeysCommand } = await import('./keys.ts');
      const opened = await openStore(config);
      try {
        await opened.store.migrate();
        return await runKeysCommand(
          createKeyStore(opened.store),
          sub,
          { ...(name ? { name } : {}), ...(role ? { role } : {}), ...(rest[0] ? { target: rest[0] } : {}), all: values['all'] === true },
          { stdout: process.stdout, stderr: process.stderr },
        );
      } catch (e) {
        if (e instanceof KeyStoreError) {
          console.error(`meridian keys ${sub}: ${e.message}`);
          return 1;
        }
        throw e;
      } finally {
        await opened.close();
      }
    },
  },
  worker: {
    summary: 'the sync worker: runs queued changes (webhooks, polls, link-on-read) and polls change feeds',
    usage: `meridian worker

Runs sync.change jobs (read the changed record, match it, refresh its customer's cached record)
and polls the configured systems' change feeds (MERIDIAN_POLL_SECONDS, MERIDIAN_POLL_<SYSTEM>_SECONDS),
beside any number of gateways and workers on one DATABASE_URL and REDIS_URL. MERIDIAN_WORKER_CONCURRENCY
jobs run at once. SIGTERM or Ctrl-C stops it after the jobs it is running. meridian serve runs a worker
in-process unless MERIDIAN_WORKER=off; the embedded store (no DATABASE_URL) belongs to one process, so
there the worker is serve's. See docs/sync.md.`,
    options: {},
    run: async () => {
      const { createLogger } = await import('../observability/logger.ts');
      const { readGatewayConfig } = await import('../config/gateway.ts');
      const { runWorkerCommand } = await import('./worker.ts');
      const env = readGatewayConfig(process.env).env;
      const logger = createLogger({ level: env.MERIDIAN_LOG_LEVEL, production: env.NODE_ENV === 'production', ...(env.MERIDIAN_LOG_FORMAT ? { format: env.MERIDIAN_LOG_FORMAT } : {}) });
      let signalled = 0;
      const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
        const onSignal = (signal: NodeJS.Signals): void => {
          signalled++;
          if (signalled === 1) return resolve(signal);
          console.error(`meridian worker: ${signal} again: exiting now; the jobs it was running are retried by another worker`);
          process.exit(130);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      const code = await runWorkerCommand({ logger, stopRequested, out: (line) => console.log(line) });
      // Everything is closed; a socket a driver keeps open must not hold the exit.
      setTimeout(() => process.exit(process.exitCode ?? code), 1_000).unref();
      return code;
    },
  },
  backfill: {
    summary: 'read every record of every configured source and link them into golden customers',
    usage: `meridian backfill [--page-size N] [--retries N]

  --page-size N   records per page asked of each system (default: as many as each system
                  gives in one page: Stripe and Zendesk 100, Salesforce 2,000, the ERP 10,000)
  --retries N     times a failed page is fetched again, with backoff (honouring Retry-After),
                  before that system's scan stops (default 5)

Links by cross-references and exact keys, then by the customer matcher (Fellegi–Sunter);
pairs it is unsure of become review items, and the model it estimates is saved for live
matching. Idempotent: a second run changes nothing. Progress is checkpointed per system: a run that was stopped, or could not
read a system to the end, links what it read, exits 1 naming what is missing, and the next run
resumes there. Uses DATABASE_URL (or the embedded store in MERIDIAN_DATA_DIR) and the
configured systems; with none configured, the sandbox.`,
    options: { 'page-size': { type: 'string' }, retries: { type: 'string' } },
    run: async (values) => {
      const pageSize = values['page-size'] === undefined ? undefined : intOption(values, 'page-size', 0, 1, 10_000);
      const retries = intOption(values, 'retries', 5, 0, 20);
      const { readGatewayConfig } = await import('../config/gateway.ts');
      const config = readGatewayConfig(process.env);
      const { openSources } = await import('../app.ts');
      const { runBackfillCommand } = await import('./backfill.ts');
      const opened = await openSources(config, { ephemeralPorts: true });
      const { CustomerSearch, indexingScans } = await import('../identity/search.ts');
      try {
        const search = new CustomerSearch(opened.store);
        const connectors = opened.connectors.map((c) => indexingScans(c, search, config.env.MERIDIAN_DEFAULT_REGION));
        return await runBackfillCommand({ connectors, store: opened.store, ...(pageSize === undefined ? {} : { pageSize }), scan: { retry: { attempts: retries + 1 } } });
      } finally {
        await opened.close();
      }
    },
  },
  match: {
    summary: 'dedupe one CSV or link two with the probabilistic matcher; quality figures with --truth',
    usage: `meridian match <a.csv> [b.csv] --out <pairs.csv> [--config <file> | [--save-config <file>] [--region XX]] [--truth ids|<pairs.csv>] [--clusters <file>] [--all]

  --out FILE          pairs at or above the review threshold (id_a, id_b, match_weight, probability, decision)
  --config FILE       matcher configuration. Without it one is inferred from the header and the first
                      2,000 rows (id, names, e-mail, phone, address, date of birth…) and printed to stderr;
                      the Febrl layout gets src/identity/matcher/configs/febrl.json
  --save-config FILE  write the inferred configuration (JSON) to edit and pass back with --config
  --region XX         country of phone numbers written without a country code (default US; inferred config)
  --truth ids         true matches from record ids (rec-N-org / rec-N-dup-K; needs the config's truth.idPattern);
                      or a CSV of true pairs id_a,id_b
  --clusters FILE     also write the clusters (dedupe)
  --all               write every scored candidate pair, not only those above the review threshold
See docs/matching.md.`,
    options: {
      out: { type: 'string' }, config: { type: 'string' }, truth: { type: 'string' }, clusters: { type: 'string' }, all: { type: 'boolean' },
      'save-config': { type: 'string' }, region: { type: 'string' },
    },
    takesArguments: true,
    run: async (values, positionals) => {
      const { parseMatchArgs, runMatchCommand } = await import('./match.ts');
      const argv = [...positionals];
      for (const k of ['out', 'config', 'truth', 'clusters', 'save-config', 'region'] as const) {
        const v = values[k];
        if (typeof v === 'string') argv.push(`--${k}`, v);
      }
      if (values['all'] === true) argv.push('--all');
      const parsed = parseMatchArgs(argv);
      if ('error' in parsed) throw new UsageError(parsed.error);
      return runMatchCommand({ ...parsed, stdout: process.stdout, stderr: process.stderr });
    },
  },
  replay: {
    summary: 'queue the writes that failed for good (dead letters) again; replaying audit events is not built yet',
    usage: `meridian replay --dead-letters

  --dead-letters   queue every dead letter's write again (docs/sync.md): each record's failed
                   write gets a fresh retry budget and its SYNC_FAILURE review item is closed.
                   A worker performs them (re-reading each target first). Prints one line per
                   write queued.
Replaying audit events is not built yet (the audit issue).`,
    options: { 'dead-letters': { type: 'boolean' } },
    run: async (values) => {
      if (values['dead-letters'] !== true) throw new UsageError('only --dead-letters is built; replaying audit events is not built yet (the audit issue)');
      const { readGatewayConfig } = await import('../config/gateway.ts');
      const config = readGatewayConfig(process.env);
      const { openStore } = await import('../app.ts');
      const { replayDeadLetters } = await import('../sync/dead-letters.ts');
      const opened = await openStore(config);
      try {
        await opened.store.migrate();
        const letters = await replayDeadLetters(opened.store, { actor: 'cli:replay' });
        for (const l of letters) console.log(`queued ${l.system} ${l.recordId} (${l.fields.join(', ')}): failed with ${l.reason}`);
        console.log(`${letters.length} dead letter${letters.length === 1 ? '' : 's'} queued again`);
        return 0;
      } finally {
        await opened.close();
      }
    },
  },
  map: notYet('map', 'the mapping issue'),
  migrate: {
    summary: "apply pending migrations to Meridian's Postgres schema",
    usage: 'meridian migrate\n\nApplies pending migrations to DATABASE_URL (safe from several processes at once), or to the embedded store in MERIDIAN_DATA_DIR (refused while another command, such as meridian serve, holds it).',
    options: {},
    run: async () => {
      const { readGatewayConfig } = await import('../config/gateway.ts');
      const config = readGatewayConfig(process.env);
      const { openStore } = await import('../app.ts');
      const opened = await openStore(config);
      try {
        const result = await opened.store.migrate();
        console.log(JSON.stringify(result));
        return 0;
      } finally {
        await opened.close();
      }
    },
  },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return `Meridian: one customer graph over every business system.

Usage: meridian <command> [options]    (meridian <command> --help for details)

${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(`meridian: no command given\n\n${help()}`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`meridian: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseCommandLine(name, command, rest);
    if (values['help'] === true) {
      console.log(`Usage: ${command.usage}`);
      return 0;
    }
    return await command.run(values, positionals);
  } catch (e) {
    // Another process holds the embedded store, or the stored world is another one: one line, nothing changed.
    if (e instanceof ConfigError || e instanceof DataDirInUseError || e instanceof SandboxWorldError) {
      console.error(e instanceof SandboxWorldError ? `meridian ${name}: ${e.message}` : e.message);
      return 2;
    }
    if (e instanceof UsageError) {
      console.error(`meridian ${name}: ${e.message}\n\nUsage: ${command.usage}`);
      return 2;
    }
    // Anything else: one line, redacted (a driver's message may carry a connection string); the
    // stack only when asked for, as it names source paths.
    const { oneLine, redact } = await import('../observability/redact.ts');
    console.error(`meridian ${name}: ${oneLine(e)}`);
    if (devErrors() && e instanceof Error && e.stack) console.error(redact(e.stack));
    return 1;
  }
}
