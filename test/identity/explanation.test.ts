// Stored link explanations read back as typed evidence; what this version cannot read is left out.
import { describe, expect, it } from 'vitest';
import { linkEvidence } from '../../src/identity/explanation.ts';

const sf = { system: 'salesforce', recordType: 'Account', externalId: '001A' };
const st = { system: 'stripe', recordType: 'customer', externalId: 'cus_A' };

describe('linkEvidence', () => {
  it('reads each kind of entry the backfill and the live matcher write, in order', () => {
    const e = linkEvidence({
      evidence: [
        { rule: 'xref:Stripe_Customer_Id__c', names: st },
        { rule: 'xref:external_id', namedBy: sf },
        { rule: 'email', email: 'ap@acme.com', sharedWith: [sf], records: 2 },
        { rule: 'probabilistic', with: st, probability: 0.99, levels: [{ field: 'name', level: 'exact' }] },
      ],
      deleted: true,
    });
    expect(e.map((x) => x.kind)).toEqual(['NAMES', 'NAMED_BY', 'SHARED_EMAIL', 'SCORED']);
    expect(e[0]).toMatchObject({ rule: 'xref:Stripe_Customer_Id__c', other: st });
    expect(e[2]).toMatchObject({ email: 'ap@acme.com', sharedWith: [sf], other: null });
    expect(e[3]).toMatchObject({ probability: 0.99, levels: [{ field: 'name', level: 'exact' }] });
  });

  it('leaves out what it cannot read, and reads a missing or empty explanation as no evidence', () => {
    expect(linkEvidence({ evidence: [{ rule: 'xref:x', names: { system: 'netsuite?', recordType: 'a', externalId: '1' } }, 42, { rule: 'email', email: 'a@b.c' }] })).toEqual([
      { rule: 'email', kind: 'SHARED_EMAIL', other: null, email: 'a@b.c', sharedWith: [], probability: null, levels: [] },
    ]);
    expect(linkEvidence({})).toEqual([]);
    expect(linkEvidence(null)).toEqual([]);
    expect(linkEvidence({ evidence: [] })).toEqual([]);
  });
});
