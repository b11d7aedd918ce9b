// Fails when the committed generated code differs from what codegen makes of schema/ now.
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const target = 'src/generated/graphql.ts';
const committed = readFileSync(target, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'meridian-codegen-'));
try {
  const config = readFileSync('codegen.yml', 'utf8').replace(target, join(dir, 'graphql.ts'));
  const configPath = join(dir, 'codegen.yml');
  writeFileSync(configPath, config);
  execFileSync('npx', ['--no-install', 'graphql-codegen', '--config', configPath, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const fresh = readFileSync(join(dir, 'graphql.ts'), 'utf8');
  if (fresh !== committed) {
    console.error(`${target} is out of date with schema/: run \`npm run codegen\` and commit the result.`);
    process.exit(1);
  }
  console.log(`${target} matches schema/.`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
