// Records the identity graph has not linked yet, seen from GraphQL. Queries never link (any
// HTTP method, WebSocket too): `customerBySource` answers such a record from the live matcher's
// dry run (planRecord) — the customer it would join — or says it is not linked yet, and queues
// the record for the sync worker (link-on-read: a sync.change job with reason 'query', one per
// record however often it is asked for), which matches and links it as a notification would.
// Linking itself happens only where writes belong: the worker, the `linkSourceRecord` mutation,
// or a backfill.
import { GraphQLError } from 'graphql';
import type { GatewayContext } from '../server/context.ts';
import { BadUserInputError, ErrorCode, NotFoundError, SourceUnavailableGraphQLError } from '../server/errors.ts';
import { ACCOUNT_TYPE, systemEnum } from '../sources/types.ts';
import type { SourceRecord, SystemId } from '../domain/records.ts';
import { SourceError } from '../sources/errors.ts';

/** A record its system holds that no customer is linked to yet; `extensions` say what linking would do. */
export class NotLinkedError extends GraphQLError {
  constructor(system: SystemId, externalId: string, wouldJoin: readonly string[]) {
    const s = systemEnum(system);
    const would =
      wouldJoin.length === 0
        ? 'linking it would make it a new customer'
        : `linking it would join customers ${wouldJoin.join(', ')}, merging them`;
    super(
      `${s} record ${JSON.stringify(externalId)} is not linked to a customer yet (${would}); ` +
        `queries never link: it is queued for the sync worker to match, or link it now with the mutation linkSourceRecord(system: ${s}, externalId: ${JSON.stringify(externalId)})`,
      { extensions: { code: ErrorCode.NOT_FOUND, reason: 'NOT_LINKED', system: s, wouldJoin: [...wouldJoin] } },
    );
  }
}

/** The account of a person (contact, user) with this id, or null when `externalId` names no person. */
export async function accountOfPerson(ctx: GatewayContext, system: SystemId, externalId: string): Promise<string | null> {
  try {
    return (await ctx.loaders.personAccount(system)?.load(externalId)) ?? null;
  } catch (e) {
    if (e instanceof SourceError && e.code === 'BAD_USER_INPUT') throw new BadUserInputError('externalId', e.message);
    throw e;
  }
}

/**
 * The account-level record `externalId` names in `system` (a person's id names its account), read
 * from the system now; null when the system holds no such record.
 */
async function readAccount(ctx: GatewayContext, system: SystemId, externalId: string, accountId: string | null): Promise<SourceRecord | null> {
  const loader = ctx.loaders.account(system);
  if (!loader) return null;
  let record: SourceRecord | null;
  try {
    record = await loader.load(accountId ?? externalId);
  } catch (e) {
    if (e instanceof SourceError && e.code === 'BAD_USER_INPUT') return null;
    if (e instanceof SourceUnavailableGraphQLError) throw e;
    throw e instanceof Error ? new SourceUnavailableGraphQLError(system, e.message) : e;
  }
  return record && record.type === ACCOUNT_TYPE[system] ? record : null;
}

/**
 * `customerBySource` for a record no customer is linked to: the customer the live matcher would
 * join it to (a dry run: nothing is written), or NotLinkedError saying what to do; NOT_FOUND when
 * the system holds no such record.
 */
export async function answerUnlinked(ctx: GatewayContext, system: SystemId, externalId: string, accountId: string | null): Promise<string> {
  const matcher = ctx.services.liveMatcher;
  const record = matcher ? await readAccount(ctx, system, externalId, accountId) : null;
  if (!matcher || !record) throw new NotFoundError(`${systemEnum(system)} record`, externalId);
  const plan = await matcher.planRecord(record);
  // First sight of this record: the worker matches it. A queue that cannot be reached costs the
  // link-on-read, not the answer (the next notification, poll or backfill links it).
  await ctx.services.enqueueChange?.({ system, type: 'account', id: record.id, reason: 'query' }).catch(() => undefined);
  const [only, ...more] = plan.wouldJoin;
  if (only !== undefined && more.length === 0) return only;
  throw new NotLinkedError(system, externalId, plan.wouldJoin);
}

/**
 * `linkSourceRecord`: reads the record from its system now and links it with the live matcher,
 * as a notification about it would; returns its customer's id. Invalidates what it changed.
 */
export async function linkSourceRecord(ctx: GatewayContext, system: SystemId, externalId: string): Promise<string> {
  if (externalId.trim() === '') throw new BadUserInputError('externalId', 'must not be empty');
  if (!ctx.services.sources[system]) throw new NotFoundError(`${systemEnum(system)} record (the system is not configured)`, externalId);
  const matcher = ctx.services.liveMatcher;
  if (!matcher) throw new NotFoundError(`${systemEnum(system)} record (this gateway links records by backfill only)`, externalId);
  const record = await readAccount(ctx, system, externalId, await accountOfPerson(ctx, system, externalId));
  if (!record) throw new NotFoundError(`${systemEnum(system)} record`, externalId);
  const result = await matcher.matchRecord(record, { actor: ctx.principal.name });
  await ctx.services.cache.invalidate(result.affected);
  return result.goldenId;
}
