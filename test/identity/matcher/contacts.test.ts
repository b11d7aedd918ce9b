// `meridian match` on an ordinary company-contacts CSV (people at companies, several per company)
// with no config: inference must see a file of people at companies, treat the company and its
// address as context that colleagues share, and count a first name that is neither a nickname nor
// a typo of the other as strong evidence against. The files come from a seeded generator
// (contacts-generator.ts); the matcher is held to pairs F1 ≥ 0.95 on several seeds and two other
// sizes, run as a user runs it (a child process, --truth pairs.csv). Also the input `match` cannot
// use: a repeated id, an --out folder that does not exist, a file with a header and no rows.
// Timeouts are generous: the runs compare a million random pairs, on a shared machine.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.ts';
import { parseCsv } from '../../../src/identity/matcher/csv.ts';
import { entitiesFromPairs, evaluate } from '../../../src/identity/matcher/evaluate.ts';
import { csvSample, inferMatcherConfig } from '../../../src/identity/matcher/infer.ts';
import { DECISION_LINK, runMatcher } from '../../../src/identity/matcher/matcher.ts';
import { recordsFromCsv } from '../../../src/identity/matcher/records.ts';
import { generateContacts } from './contacts-generator.ts';

const dir = mkdtempSync(join(tmpdir(), 'meridian-contacts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the contacts generator', () => {
  it('writes the same file for the same seed and another for another seed', () => {
    const a = generateContacts({ seed: 3, companies: 40 });
    expect(generateContacts({ seed: 3, companies: 40 })).toEqual(a);
    expect(generateContacts({ seed: 4, companies: 40 }).csv).not.toBe(a.csv);
    expect(a.csv.split('\n')[0]).toBe('id,First Name,Last Name,Company,Email,Phone,Street,City,State,Zip');
    expect(a.truePairs).toBeGreaterThan(20);
  });

  it('plants what makes such files hard: colleagues, nicknames, seven phone formats, ZIP+4, personal e-mails', () => {
    const { csv } = generateContacts({ seed: 1, companies: 300 });
    const rows = parseCsv(csv).rows.map((r) => r.cells);
    const byCompany = new Map<string, number>();
    for (const r of rows) byCompany.set(r[3]!.replace(/,? (Inc\.?|LLC|L\.L\.C\.|llc|Corp\.?|Corporation|Co\.?|Company|Ltd\.?|Limited|Incorporated)$/, ''), (byCompany.get(r[3]!) ?? 0) + 1);
    expect(Math.max(...byCompany.values())).toBeGreaterThan(10);
    const phones = rows.map((r) => r[5]!).filter((p) => p !== '');
    for (const shape of [/^\(\d{3}\) \d{3}-\d{4}/, /^\d{3}-\d{3}-\d{4}/, /^\d{3}\.\d{3}\.\d{4}/, /^\d{10}/, /^\+1 \d{3} \d{3} \d{4}/, /^\+1-\d{3}-/, /^1 \(\d{3}\)/]) {
      expect(phones.some((p) => shape.test(p))).toBe(true);
    }
    expect(rows.some((r) => /-\d{4}$/.test(r[9]!))).toBe(true);
    expect(rows.some((r) => /@(gmail|yahoo|outlook|hotmail|icloud|aol)\.com$/.test(r[4]!))).toBe(true);
    expect(rows.some((r) => / (St|Ave|Blvd|Rd|Dr|Ln|Pkwy|Ct|Pl)( Ste \d+)?$/.test(r[6]!))).toBe(true);
    expect(rows.some((r) => ['Bob', 'Bill', 'Liz', 'Mike', 'Jim', 'Tom'].includes(r[1]!))).toBe(true);
  });
});

describe('a file of people at companies, without a config', () => {
  const { csv, truthCsv } = generateContacts({ seed: 21, companies: 200 });
  const inferred = inferMatcherConfig([csvSample(csv)]);

  it('is read as people at companies: company, street, city, state and zip are context, and no rule blocks on them alone', () => {
    const context = inferred.config.fields.filter((f) => f.context).map((f) => f.name);
    expect(context).toEqual(['company_name', 'street', 'city', 'postcode', 'state']);
    expect(inferred.config.fields.filter((f) => !f.context).map((f) => f.name)).toEqual(['given_name', 'surname', 'email', 'phone']);
    expect(new Set(inferred.config.fields.filter((f) => f.context).map((f) => f.group))).toEqual(new Set(['workplace']));
    const names = inferred.config.blocking.rules.map((r) => r.name);
    expect(names).not.toContain('company_name');
    expect(names).not.toContain('street+postcode');
    expect(names).toContain('surname~soundex+company_name');
    expect(inferred.columns.find((c) => c.column === 'Company')!.why).toContain('context: the records are people at companies');
    // Colleagues share the main line and differ in their extensions.
    expect(inferred.config.fields.find((f) => f.name === 'phone')).toMatchObject({ normalize: 'phoneExtension', levels: [{ type: 'exact' }, { type: 'tokenSet', min: 0.5 }, { type: 'levenshtein', max: 1 }] });
  });

  it('weighs a first name that is neither a nickname nor a typo as strong evidence against, and links no two colleagues by their workplace', () => {
    const read = recordsFromCsv(csv, inferred.config);
    const result = runMatcher(inferred.config, { mode: 'dedupe', records: read.records });
    const given = result.model.fields.find((f) => f.name === 'given_name')!;
    // It cost 0.29 bits when EM learned colleagues as the matches.
    expect(given.levels.at(-1)!.weight).toBeLessThan(-6);
    const { entities } = entitiesFromPairs(result.table.ids, null, parseCsv(truthCsv).rows.map((r) => [r.cells[0]!, r.cells[1]!] as const));
    const width = inferred.config.fields.length;
    const g = inferred.config.fields.findIndex((f) => f.name === 'given_name');
    const s = inferred.config.fields.findIndex((f) => f.name === 'surname');
    const elseOf = (f: number): number => inferred.config.fields[f]!.levels.length + 1;
    let colleagues = 0;
    for (let p = 0; p < result.candidates.count; p++) {
      const a = result.candidates.a[p]!;
      const b = result.candidates.b[p]!;
      // Both names disagree outright: whatever the workplace, not one person.
      if (result.gammas[p * width + g] === elseOf(g) && result.gammas[p * width + s] === elseOf(s)) {
        expect(result.decisions[p]).not.toBe(DECISION_LINK);
        if (entities[a] !== entities[b]) colleagues++;
      }
    }
    expect(colleagues).toBeGreaterThan(0);
    const ev = evaluate(result, entities);
    expect(ev.pairs.f1).toBeGreaterThanOrEqual(0.95);
  }, 300_000);
});

/** Runs `meridian match` on a generated file and parses its printed scores. */
async function matchGenerated(seed: number, companies: number): Promise<{ precision: number; recall: number; f1: number; records: number }> {
  const f = generateContacts({ seed, companies });
  const csv = join(dir, `contacts-${seed}-${companies}.csv`);
  const truth = join(dir, `truth-${seed}-${companies}.csv`);
  writeFileSync(csv, f.csv);
  writeFileSync(truth, f.truthCsv);
  const r = await runCli(['match', csv, '--out', join(dir, `pairs-${seed}-${companies}.csv`), '--truth', truth]);
  expect(r.stderr).not.toContain('meridian match:');
  expect(r.code).toBe(0);
  const m = /pairs \(link\)\s+precision ([\d.]+)\s+recall ([\d.]+)\s+F1 ([\d.]+)/.exec(r.stdout);
  expect(m).not.toBeNull();
  const [precision, recall, f1] = [Number(m![1]), Number(m![2]), Number(m![3])];
  console.log(`contacts seed ${seed}, ${companies} companies, ${f.records} records, ${f.truePairs} true pairs: pairs P ${m![1]} R ${m![2]} F1 ${m![3]}`);
  return { precision, recall, f1, records: f.records };
}

describe('meridian match on generated company-contacts files, no config', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`dedupes seed ${seed} (300 companies) at pairs F1 ≥ 0.95`, async () => {
      const s = await matchGenerated(seed, 300);
      expect(s.f1).toBeGreaterThanOrEqual(0.95);
    }, 300_000);
  }

  it('dedupes a small file (60 companies) and a large one (800 companies) at pairs F1 ≥ 0.95', async () => {
    expect((await matchGenerated(6, 60)).f1).toBeGreaterThanOrEqual(0.95);
    expect((await matchGenerated(7, 800)).f1).toBeGreaterThanOrEqual(0.95);
  }, 600_000);
});

describe('meridian match: input it cannot use', () => {
  const people = [
    'id,first_name,last_name,email,phone,city',
    '1,Jonathan,Smith,jon.smith@example.com,(415) 555-0134,San Francisco',
    '2,Jon,Smith,Jon.Smith@example.com,415-555-0134,San Francisco',
    '3,Maria,Garcia,maria.g@example.org,+1 212 555 0188,New York',
    '4,María,García,maria.g@example.org,212.555.0188,New York',
    '5,Wei,Chen,wchen@example.net,(646) 555-0101,Brooklyn',
    '6,Aisha,Khan,aisha.khan@example.com,(312) 555-0199,Chicago',
    '7,Peter,Müller,p.mueller@example.de,(305) 555-0142,Miami',
    '8,Olga,Ivanova,olga.i@example.com,(206) 555-0177,Seattle',
    '9,Liam,Brien,liam.obrien@example.ie,(617) 555-0123,Boston',
    '10,Sofia,Rossi,sofia.rossi@example.it,(702) 555-0165,Las Vegas',
  ];

  it('skips a row with a repeated id and reports its line, instead of refusing the file', async () => {
    const file = join(dir, 'repeated.csv');
    writeFileSync(file, [...people, '3,Mary,Garcia,mary.garcia@example.org,,New York'].join('\n') + '\n');
    const r = await runCli(['match', file, '--out', join(dir, 'repeated-pairs.csv')]);
    expect(r.stderr).not.toContain('meridian match:');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/id\s+→ record id \(named like an id; 1 repeated value in the 11 sampled rows: those rows are skipped/);
    expect(r.stdout).toContain('10 records read, 1 rows skipped');
    expect(r.stdout).toContain('line 12: duplicate id "3" (first on line 4)');
  });

  it('refuses an --out in a folder that does not exist before matching, naming the path (exit 2)', async () => {
    const file = join(dir, 'people.csv');
    writeFileSync(file, people.join('\n') + '\n');
    const missing = join(dir, 'no-such-folder', 'pairs.csv');
    const r = await runCli(['match', file, '--out', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`meridian match: --out ${missing}: the folder ${join(dir, 'no-such-folder')} does not exist`);
    expect(r.stdout).toBe('');
    const clusters = await runCli(['match', file, '--out', join(dir, 'ok.csv'), '--clusters', join(dir, 'nope', 'c.csv')]);
    expect(clusters.code).toBe(2);
    expect(clusters.stderr).toContain(`--clusters ${join(dir, 'nope', 'c.csv')}: the folder`);
    expect(existsSync(join(dir, 'ok.csv'))).toBe(false);
  });

  it('says a file with a header and no rows has nothing to match, and exits 1 without writing', async () => {
    const file = join(dir, 'header-only.csv');
    writeFileSync(file, `${people[0]}\n`);
    const out = join(dir, 'empty-pairs.csv');
    const r = await runCli(['match', file, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`meridian match: ${file}: no records to match (a header and no data rows)`);
    expect(existsSync(out)).toBe(false);
  });

  it('says there was nothing to estimate when no pair of records is a candidate, instead of printing NaN', async () => {
    const file = join(dir, 'strangers.csv');
    writeFileSync(file, [people[0], ...people.slice(5)].join('\n') + '\n');
    const r = await runCli(['match', file, '--out', join(dir, 'strangers-pairs.csv')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('blocking: 0 candidate pairs');
    expect(r.stdout).toMatch(/model: u from [\d,]+ random pairs; no candidate pairs, so no match share or prior to estimate/);
    expect(r.stdout).not.toContain('NaN');
  });

  it('says so when every row of a file was skipped', async () => {
    const file = join(dir, 'all-bad.csv');
    writeFileSync(file, [people[0], '1,a,b', '2,c,d'].join('\n') + '\n');
    const r = await runCli(['match', file, '--out', join(dir, 'bad-pairs.csv'), '--config', writeConfig()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`meridian match: ${file}: no records to match (2 rows, all skipped: line 2: expected 6 fields, found 3`);
  });

  function writeConfig(): string {
    const path = join(dir, 'people.json');
    const inferred = inferMatcherConfig([csvSample(people.join('\n'))]);
    writeFileSync(path, JSON.stringify(inferred.json));
    expect(readFileSync(path, 'utf8')).toContain('"given_name"');
    return path;
  }
});
