// Opens the ERP connector for the gateway. The connection must not be able to write
// (read-only.ts): refused at start with one line unless MERIDIAN_ERP_ALLOW_WRITES=1; checked
// before the first read when the ERP cannot be reached yet.
import type { ConnectorDeps, OpenedSystem } from '../contract.ts';
import { SystemRefusedError } from '../contract.ts';
import { createErpPool } from './client.ts';
import { createErpConnector } from './index.ts';
import { ErpCanWriteError, guardErpWrites } from './read-only.ts';
import type { ErpSettings } from './settings.ts';
import { erpFeeds } from './feed.ts';

export async function openErp(settings: ErpSettings, deps: ConnectorDeps): Promise<OpenedSystem<'erp'>> {
  const unguarded = createErpConnector(createErpPool(settings, { statementTimeoutMs: deps.timeoutMs }), { schema: settings.schema, clock: deps.clock });
  const readerRole = deps.sandbox?.erp.readerRole;
  try {
    const connector = await guardErpWrites(unguarded, {
      settings,
      openPool: () => createErpPool(settings, { max: 1, statementTimeoutMs: deps.timeoutMs }),
      allowWrites: deps.env['MERIDIAN_ERP_ALLOW_WRITES'] === '1',
      sandbox: deps.sandbox ? { reason: readerRole && !readerRole.ok ? readerRole.reason : null } : null,
      logger: deps.logger,
    });
    // The feeds read through their own read-only connection (the same settings the guard checked).
    const feedPool = createErpPool(settings, { max: 1, statementTimeoutMs: deps.timeoutMs });
    return {
      connector,
      changes: erpFeeds(feedPool, settings.schema),
      close: async () => {
        await feedPool.end();
        await connector.close();
      },
    };
  } catch (e) {
    await unguarded.close();
    throw e instanceof ErpCanWriteError ? new SystemRefusedError(e.message) : e;
  }
}
