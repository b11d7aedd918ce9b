// What reaches the matcher from outside: CSV rows (bad ones reported with their line and
// skipped, never a crash) and the config (zod errors with JSON paths), and the `match` command
// end to end on small files.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMatchCommand, parseMatchArgs } from '../../../src/cli/match.ts';
import { loadMatcherConfig, MatcherConfigError, parseMatcherConfig } from '../../../src/identity/matcher/config.ts';
import { parseCsv } from '../../../src/identity/matcher/csv.ts';
import { recordsFromCsv } from '../../../src/identity/matcher/records.ts';

const HEADER = 'rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id';

function stream(isTTY = false): { isTTY: boolean; columns: number; text: string; write(c: string): boolean } {
  const s = { isTTY, columns: 100, text: '', write: (c: string): boolean => ((s.text += c), true) };
  return s;
}

describe('CSV reading', () => {
  it('trims the space after commas, keeps quoted commas, quotes and line breaks', () => {
    const t = parseCsv('a, b, c\n1, "x, y", "say ""hi"""\n2, "two\nlines", z\r\n');
    expect(t.issues).toEqual([]);
    expect(t.header).toEqual(['a', 'b', 'c']);
    expect(t.rows).toEqual([
      { line: 2, cells: ['1', 'x, y', 'say "hi"'] },
      { line: 3, cells: ['2', 'two\nlines', 'z'] },
    ]);
  });

  it('reports rows with the wrong number of fields, text after a closing quote and an unclosed quote, by line', () => {
    const t = parseCsv('a,b\n1,2\n3\n4,5,6\n"7"x,8\n\n9,10\n"11,12\n13,14\n');
    expect(t.rows.map((r) => r.cells[0])).toEqual(['1', '9']);
    expect(t.issues).toEqual([
      { line: 3, message: 'expected 2 fields, found 1' },
      { line: 4, message: 'expected 2 fields, found 3' },
      { line: 5, message: 'text after the closing quote of field 1' },
      { line: 8, message: 'quoted field never closed (the rest of the file was read as part of it)' },
    ]);
  });

  it('skips rows without an id or with an id seen before, and names the missing header column', async () => {
    const config = await loadMatcherConfig();
    const text = [HEADER, 'rec-1-org, ann, lee, 1, a street, , b, 2000, nsw, 19800101, 1234567', ', bob, lee, 1, a street, , b, 2000, nsw, 19800101, 1', 'rec-1-org, x, y, 1, a, , b, 2000, nsw, 19800101, 2', 'rec-2-org, too, few'].join('\n');
    const read = recordsFromCsv(text, config, 'f.csv');
    expect(read.records.map((r) => r.id)).toEqual(['rec-1-org']);
    expect(read.records[0]!.values.address_2).toBeNull();
    expect(read.issues).toEqual([
      { line: 3, message: 'empty rec_id' },
      { line: 4, message: 'duplicate rec_id "rec-1-org" (first on line 2)' },
      { line: 5, message: 'expected 11 fields, found 3' },
    ]);
    expect(() => recordsFromCsv('rec_id, given_name\nx, y\n', config, 'g.csv')).toThrow(/g\.csv: the header has no column "surname"/);
  });
});

describe('matcher config', () => {
  it('ships a valid Febrl config', async () => {
    const c = await loadMatcherConfig();
    expect(c.fields.map((f) => f.name)).toContain('soc_sec_id');
    expect(c.blocking.rules.length).toBeGreaterThan(3);
  });

  it('lists every problem with its JSON path', () => {
    const bad = {
      version: 1,
      id: 'id',
      fields: [
        { name: 'name', columns: ['name'], levels: [{ type: 'jaroWinkler', min: 1.5 }, { type: 'swapped', with: 'nope' }] },
        { name: 'dob', columns: ['dob'], levels: [{ type: 'dateWithin', days: 3 }] },
      ],
      blocking: { rules: [{ name: 'r', keys: [{ field: 'missing' }, { field: 'name', transform: 'prefix' }] }] },
      thresholds: { link: 0.5, review: 0.9 },
    };
    let err: unknown;
    try {
      parseMatcherConfig(bad, 'bad.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MatcherConfigError);
    const issues = (err as MatcherConfigError).issues;
    expect(issues).toEqual([
      { path: 'fields[0].levels[0].min', message: 'Too big: expected number to be <=1' },
      { path: 'fields[0].levels[1].with', message: 'no field named "nope"' },
      { path: 'fields[1].levels[0].type', message: 'dateWithin needs a field with "normalize": "date"' },
      { path: 'blocking.rules[0].keys[0].field', message: 'no field named "missing"' },
      { path: 'blocking.rules[0].keys[1].length', message: 'prefix needs a length' },
      { path: 'thresholds.review', message: 'review must not be above link' },
    ]);
    expect((err as Error).message).toMatch(/^invalid matcher config bad\.json:\n {2}fields\[0\]\.levels\[0\]\.min: Too big/);
  });
});

describe('meridian match', () => {
  it('parses its arguments', () => {
    expect(parseMatchArgs(['a.csv', 'b.csv', '--out', 'p.csv', '--truth', 'ids'])).toEqual({ files: ['a.csv', 'b.csv'], outPath: 'p.csv', truthPath: 'ids' });
    expect(parseMatchArgs(['a.csv'])).toEqual({ error: '--out <pairs.csv> is required' });
    expect(parseMatchArgs(['a.csv', '--out'])).toEqual({ error: '--out needs a value' });
    expect(parseMatchArgs(['--out', 'x'])).toEqual({ error: 'give one CSV file to dedupe or two to link' });
    expect(parseMatchArgs(['a.csv', '--out', 'p.csv', '--region', 'gb'])).toEqual({ files: ['a.csv'], outPath: 'p.csv', region: 'GB' });
    expect(parseMatchArgs(['a.csv', '--out', 'p.csv', '--region', 'ZZ'])).toEqual({ error: '--region must be an ISO 3166-1 alpha-2 country code that the phone library knows (US, GB, DE…), got "ZZ"' });
  });

  it('dedupes a small file, reports bad rows by line, writes pairs and scores them against the ids', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meridian-match-'));
    const rows = [
      HEADER,
      'rec-1-org, michaela, neumann, 8, stanley street, miami, winston hills, 4223, nsw, 19151111, 5304218',
      'rec-1-dup-0, michafla, neumann, 8, stanleykstreet, miami, winstonbhills, 4223, , 19151111, 5304218',
      'rec-2-org, courtney, painter, 12, pinkerton circuit, bega flats, richlands, 4560, vic, 19161214, 4066625',
      'rec-2-dup-0, courtney, paintre, 12, pinkerton circuit, bega flats, richlands, 4560, vic, 19161241, 4066625',
      'rec-3-org, charles, green, 38, salkauskas crescent, kela, dapto, 4566, nsw, 19480930, 4365168',
      'rec-4-org, vanessa, parr, 905',
      'rec-5-org, bob, smith, 1, high street, , sydney, 2000, nsw, 19700101, 1111111',
    ];
    await writeFile(join(dir, 'a.csv'), rows.join('\n'));
    const stdout = stream();
    const stderr = stream(true);
    const code = await runMatchCommand({ files: [join(dir, 'a.csv')], outPath: join(dir, 'pairs.csv'), truthPath: 'ids', clustersPath: join(dir, 'clusters.csv'), allPairs: true, stdout, stderr });
    expect(stderr.text).not.toMatch(/meridian match:/);
    expect(code).toBe(0);
    expect(stdout.text).toContain('6 records read, 1 rows skipped');
    expect(stdout.text).toContain('line 7: expected 11 fields, found 4');
    expect(stdout.text).toMatch(/blocking recall +1\.0000/);
    const pairs = (await readFile(join(dir, 'pairs.csv'), 'utf8')).trim().split('\n');
    expect(pairs[0]).toBe('id_a,id_b,match_weight,probability,decision');
    // Five records are too few for EM to learn much from, but the true pairs still weigh most.
    const byWeight = pairs.slice(1).map((l) => l.split(',')).sort((x, y) => Number(y[2]) - Number(x[2]));
    expect(byWeight.slice(0, 2).map((c) => `${c[0]} ${c[1]}`).sort()).toEqual(['rec-1-org rec-1-dup-0', 'rec-2-org rec-2-dup-0']);
    expect(byWeight.every((c) => ['link', 'review', 'new'].includes(c[4]!))).toBe(true);
    const clusters = (await readFile(join(dir, 'clusters.csv'), 'utf8')).trim().split('\n');
    expect(clusters[0]).toBe('id,cluster');
    expect(clusters).toHaveLength(7);
    expect(stderr.text).toContain('\r\x1b[2K');
  });

  it('exits 1 with the JSON path of a bad config, and with the file a missing input names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meridian-match-'));
    await writeFile(join(dir, 'c.json'), JSON.stringify({ version: 1, id: 'id', fields: [], blocking: { rules: [] }, thresholds: { link: 0.9, review: 0.5 } }));
    await writeFile(join(dir, 'a.csv'), 'id\n1\n');
    const stderr = stream();
    expect(await runMatchCommand({ files: [join(dir, 'a.csv')], configPath: join(dir, 'c.json'), outPath: join(dir, 'p.csv'), stdout: stream(), stderr })).toBe(1);
    expect(stderr.text).toMatch(/fields: Too small/);
    expect(stderr.text).toMatch(/blocking\.rules: Too small/);
    const stderr2 = stream();
    expect(await runMatchCommand({ files: [join(dir, 'nope.csv')], outPath: join(dir, 'p.csv'), stdout: stream(), stderr: stderr2 })).toBe(1);
    expect(stderr2.text).toMatch(/cannot read .*nope\.csv: ENOENT/);
  });
});
