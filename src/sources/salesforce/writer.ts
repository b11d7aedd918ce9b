// Writes to Salesforce: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_update_fields.htm
// PATCH /sobjects/{Type}/{Id} through jsforce's sobject(...).update. A target path on the account
// (`Phone`, `BillingCity`) updates the Account; one through its contacts (`Contacts[0].Email`)
// updates that Contact, whose Id the account's read carries.
import type { Connection } from 'jsforce';
import type { RecordWriter } from '../contract.ts';
import { SourceUnavailableError } from '../errors.ts';
import { toSalesforceError } from './reader.ts';
import { SalesforceSession } from './session.ts';

const CONTACT_PATH = /^Contacts\[(\d+)\]\.([A-Za-z_][A-Za-z0-9_]*)$/;
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface SaveResultLike { success?: boolean; errors?: unknown[] }

export function createSalesforceWriter(conn: Connection | SalesforceSession, options: { now?: () => Date } = {}): RecordWriter {
  const now = options.now ?? (() => new Date());
  const connection = (): Promise<Connection> => (conn instanceof SalesforceSession ? conn.connection() : Promise.resolve(conn));
  return {
    system: 'salesforce',
    write: async (record, changes) => {
      // One update per sObject record the paths name, Account first.
      const updates = new Map<string, { type: 'Account' | 'Contact'; Id: string; fields: Record<string, unknown> }>();
      const add = (type: 'Account' | 'Contact', id: string, field: string, value: unknown): void => {
        const key = `${type}:${id}`;
        const u = updates.get(key) ?? { type, Id: id, fields: {} };
        u.fields[field] = value;
        updates.set(key, u);
      };
      for (const [path, value] of Object.entries(changes)) {
        const m = CONTACT_PATH.exec(path);
        if (m !== null) {
          const contacts = record.data['Contacts'];
          const contact = Array.isArray(contacts) ? (contacts[Number(m[1])] as { Id?: unknown } | undefined) : undefined;
          if (typeof contact?.Id !== 'string') throw new SourceUnavailableError('salesforce', `account ${record.id} has no contact at ${path}`, { status: 404 });
          add('Contact', contact.Id, m[2]!, value);
        } else if (FIELD.test(path)) {
          add('Account', record.id, path, value);
        } else {
          throw new SourceUnavailableError('salesforce', `cannot write path ${path} (an Account field, or Contacts[n].Field)`, { status: 400 });
        }
      }
      const c = await connection();
      for (const u of updates.values()) {
        let result: SaveResultLike;
        try {
          result = (await c.sobject(u.type).update({ Id: u.Id, ...u.fields }));
        } catch (e) {
          throw toSalesforceError(e, now());
        }
        if (result.success === false) {
          throw new SourceUnavailableError('salesforce', `salesforce refused the ${u.type} update: ${JSON.stringify(result.errors ?? []).slice(0, 300)}`, { status: 400 });
        }
      }
    },
  };
}
