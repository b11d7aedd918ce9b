// Ordered schema migrations. Each is applied once, in its own transaction, and recorded in
// `<schema>.migrations`. Never edit one that has shipped: add the next. `sql` receives the
// quoted schema name; the text must run unchanged on Postgres 15+ and on PGlite.

export interface Migration {
  /** Sorts in apply order: a zero-padded number and a name. */
  readonly id: string;
  readonly sql: (schema: string) => string;
}

const identityGraph: Migration = {
  id: '0001_identity_graph',
  sql: (s) => `
-- One row per golden customer id ever issued. Ids are never reused or renamed: a merge
-- retires the losing id into the survivor (retired_into), so old ids keep resolving.
CREATE TABLE ${s}.golden_customers (
  id           text PRIMARY KEY CHECK (id ~ '^gc_[0-9A-HJKMNP-TV-Z]{26}$'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  retired_into text NULL REFERENCES ${s}.golden_customers (id),
  retired_at   timestamptz NULL,
  CHECK (retired_into IS NULL OR retired_into <> id),
  CHECK ((retired_into IS NULL) = (retired_at IS NULL))
);
-- Keyset pagination walks live ids in id (= creation) order.
CREATE INDEX golden_customers_live_idx ON ${s}.golden_customers (id) WHERE retired_into IS NULL;
CREATE INDEX golden_customers_retired_into_idx ON ${s}.golden_customers (retired_into) WHERE retired_into IS NOT NULL;

-- Source record -> golden customer. Always points at a live golden id (a merge moves the
-- loser's links in the same transaction that retires it).
CREATE TABLE ${s}.identity_links (
  system      text NOT NULL,
  record_type text NOT NULL,
  external_id text NOT NULL,
  golden_id   text NOT NULL REFERENCES ${s}.golden_customers (id),
  confidence  real NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  -- Which rule linked it: 'xref:<field>', 'email', 'singleton'; #4 adds 'fs:<score>', 'manual'.
  rule        text NOT NULL,
  -- The evidence, for people and for the review app: what matched what.
  explanation jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- 'auto' links may be moved by the matcher; 'manual' ones (a person's review decision or
  -- split) are only changed by another decision.
  origin      text NOT NULL DEFAULT 'auto' CHECK (origin IN ('auto', 'manual')),
  linked_at   timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (system, record_type, external_id)
);
CREATE INDEX identity_links_golden_id_idx ON ${s}.identity_links (golden_id);

-- Append-only history of the identity graph: what happened to which id, why, and who did it.
CREATE TABLE ${s}.identity_events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('customer_created', 'linked', 'relinked', 'merged', 'split', 'unlinked')),
  golden_id       text NOT NULL REFERENCES ${s}.golden_customers (id),
  -- merged: the retired id; split: the id the records left for; relinked: the previous id.
  other_golden_id text NULL REFERENCES ${s}.golden_customers (id),
  system          text NULL,
  record_type     text NULL,
  external_id     text NULL,
  rule            text NULL,
  confidence      real NULL,
  detail          jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- 'backfill', 'matcher', 'user:<id>'
  actor           text NOT NULL,
  occurred_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_events_golden_id_idx ON ${s}.identity_events (golden_id, id);
CREATE INDEX identity_events_other_golden_id_idx ON ${s}.identity_events (other_golden_id) WHERE other_golden_id IS NOT NULL;

-- Pairs of records a person said are different customers (a split, a rejected
-- POSSIBLE_DUPLICATE). The matcher (#4) must not put them back together. Stored once per
-- pair, smaller key first.
CREATE TABLE ${s}.identity_cannot_link (
  a_system      text NOT NULL,
  a_record_type text NOT NULL,
  a_external_id text NOT NULL,
  b_system      text NOT NULL,
  b_record_type text NOT NULL,
  b_external_id text NOT NULL,
  reason        text NOT NULL,
  decided_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (a_system, a_record_type, a_external_id, b_system, b_record_type, b_external_id),
  CHECK ((a_system, a_record_type, a_external_id) < (b_system, b_record_type, b_external_id))
);
CREATE INDEX identity_cannot_link_b_idx ON ${s}.identity_cannot_link (b_system, b_record_type, b_external_id);
`,
};

// What searchCustomers looks through: one row per account-level source record (keyed like
// identity_links, so the golden id is joined at query time and merges/splits never leave it
// stale), plus its name tokens for prefix lookup.
const customerSearch: Migration = {
  id: '0002_customer_search',
  sql: (s) => `
CREATE TABLE ${s}.customer_search (
  system       text NOT NULL,
  record_type  text NOT NULL,
  external_id  text NOT NULL,
  name         text NULL,
  name_key     text NULL,
  emails       text[] NOT NULL DEFAULT '{}',
  phones       text[] NOT NULL DEFAULT '{}',
  domain       text NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (system, record_type, external_id)
);
CREATE INDEX customer_search_emails_idx ON ${s}.customer_search USING gin (emails);
CREATE INDEX customer_search_phones_idx ON ${s}.customer_search USING gin (phones);
CREATE INDEX customer_search_domain_idx ON ${s}.customer_search (domain);
CREATE TABLE ${s}.customer_search_tokens (
  token        text NOT NULL,
  system       text NOT NULL,
  record_type  text NOT NULL,
  external_id  text NOT NULL,
  PRIMARY KEY (token, system, record_type, external_id),
  FOREIGN KEY (system, record_type, external_id) REFERENCES ${s}.customer_search ON DELETE CASCADE
);
CREATE INDEX customer_search_tokens_prefix_idx ON ${s}.customer_search_tokens (token text_pattern_ops);
`,
};

// Decisions a machine should not make, waiting for a person. Identity writes
// POSSIBLE_DUPLICATE items (pairs scored between the review and link thresholds); the review
// queue issue adds the API and the other kinds. One item per subject: re-running the matcher
// does not duplicate an open question.
const reviewItems: Migration = {
  id: '0003_review_items',
  sql: (s) => `
CREATE TABLE ${s}.review_items (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind         text NOT NULL CHECK (kind IN ('POSSIBLE_DUPLICATE')),
  status       text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'RESOLVED', 'DISMISSED')),
  subject_key  text NOT NULL,
  payload      jsonb NOT NULL,
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, subject_key)
);
CREATE INDEX review_items_open_idx ON ${s}.review_items (kind, id) WHERE status = 'OPEN';
`,
};

// The blocking index of incremental matching (src/identity/live-matcher.ts): the customer
// matcher's model as the last full run estimated it, each account-level record's matcher values
// and blocking keys (plus its exact keys: normalized e-mails, the records it names), and how many
// records hold each normalized value (term frequencies). A new or changed record finds its
// candidates through match_keys in one indexed lookup instead of a full re-run.
const matchIndex: Migration = {
  id: '0004_match_index',
  sql: (s) => `
CREATE TABLE ${s}.match_models (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  matcher     text NOT NULL,
  config_hash text NOT NULL,
  model       jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX match_models_latest_idx ON ${s}.match_models (matcher, id DESC);
CREATE TABLE ${s}.match_records (
  system       text NOT NULL,
  record_type  text NOT NULL,
  external_id  text NOT NULL,
  -- The matcher's input columns (raw) and the same values normalized (for term frequencies).
  input        jsonb NOT NULL,
  normalized   jsonb NOT NULL,
  -- A hash of input, normalized values and keys: a backfill rewrites only entries that changed.
  fingerprint  text NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (system, record_type, external_id)
);
-- rule: a blocking rule's name, or '=email' (exact e-mail) / '=xref' (a record this one names).
CREATE TABLE ${s}.match_keys (
  rule         text NOT NULL,
  key          text NOT NULL,
  system       text NOT NULL,
  record_type  text NOT NULL,
  external_id  text NOT NULL,
  -- '=xref': the field that names the record (e.g. Stripe_Customer_Id__c), for explanations.
  detail       text NULL,
  PRIMARY KEY (rule, key, system, record_type, external_id),
  FOREIGN KEY (system, record_type, external_id) REFERENCES ${s}.match_records ON DELETE CASCADE
);
CREATE INDEX match_keys_record_idx ON ${s}.match_keys (system, record_type, external_id);
CREATE TABLE ${s}.match_terms (
  field  text NOT NULL,
  value  text NOT NULL,
  n      integer NOT NULL CHECK (n >= 0),
  PRIMARY KEY (field, value)
);
`,
};

// A person's decision on a review item (reviewQueue / resolveReview, src/review/items.ts): who
// took it, when, and what it was ({ action, note, ... }). An OPEN item has none of the three, a
// decided one all three.
const reviewDecisions: Migration = {
  id: '0005_review_decisions',
  sql: (s) => `
ALTER TABLE ${s}.review_items
  ADD COLUMN resolved_at timestamptz NULL,
  ADD COLUMN resolved_by text NULL,
  ADD COLUMN decision    jsonb NULL,
  ADD CONSTRAINT review_items_decided_check CHECK (
    (status = 'OPEN') = (resolved_at IS NULL)
    AND (resolved_at IS NULL) = (resolved_by IS NULL)
    AND (resolved_at IS NULL) = (decision IS NULL)
  );
-- reviewQueue(status) pages one status in id order.
CREATE INDEX review_items_status_idx ON ${s}.review_items (status, id);
`,
};

// Webhook events already processed (src/sync/deliveries.ts, replaced by sync_inbox in 0012), so a sender's re-delivery of one is
// answered without being processed again. A row is a claim while processed_at is NULL (one
// delivery is processing it; a claim older than the lease is abandoned and may be taken over),
// and a record of the event once set. Rows older than the retention window are deleted.
const webhookDeliveries: Migration = {
  id: '0006_webhook_deliveries',
  sql: (s) => `
CREATE TABLE ${s}.webhook_deliveries (
  system       text NOT NULL,
  event_id     text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
  claimed_at   timestamptz NOT NULL,
  processed_at timestamptz NULL,
  PRIMARY KEY (system, event_id)
);
CREATE INDEX webhook_deliveries_claimed_idx ON ${s}.webhook_deliveries (claimed_at);
`,
};

// The demo world the identity links were built for (sandbox mode only; src/store/sandbox-world.ts):
// a start with another world is refused instead of serving links to records that are not there.
const sandboxWorld: Migration = {
  id: '0007_sandbox_world',
  sql: (s) => `
CREATE TABLE ${s}.sandbox_world (
  singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  marker       jsonb NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
`,
};

// A backfill's progress per system (src/identity/backfill-checkpoint.ts): where its scan
// resumes, and the records read so far (the links are computed over all of them at the end, so
// a resumed run needs what the stopped one had read). Cleared for a system once a run has
// linked its complete scan.
const backfillCheckpoints: Migration = {
  id: '0008_backfill_checkpoints',
  sql: (s) => `
CREATE TABLE ${s}.backfill_scans (
  system       text PRIMARY KEY,
  -- Where the scan goes on (the last page's resume position); NULL: from the start.
  resume_after text NULL,
  records      integer NOT NULL DEFAULT 0 CHECK (records >= 0),
  -- The scan read everything; only the linking is left.
  done         boolean NOT NULL DEFAULT false,
  started_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ${s}.backfill_records (
  system      text NOT NULL REFERENCES ${s}.backfill_scans (system) ON DELETE CASCADE,
  record_type text NOT NULL,
  external_id text NOT NULL,
  record      jsonb NOT NULL,
  PRIMARY KEY (system, record_type, external_id)
);
`,
};

// The search index rewrites a record's name tokens by the record (CustomerSearch.index deletes
// them first), and deleting a search document cascades to its tokens: both look tokens up by
// record, which the primary key (token first) cannot serve. Without this index every page a
// backfill indexed scanned the whole tokens table (20,000 customers: 20 of a 26 s scan).
const searchTokensByRecord: Migration = {
  id: '0009_search_tokens_by_record',
  sql: (s) => `
CREATE INDEX customer_search_tokens_record_idx ON ${s}.customer_search_tokens (system, record_type, external_id);
`,
};

// The live matcher's blocking keys are derived data with one writer (MatchIndex), which writes
// a record before its keys and deletes a record's keys with it. The foreign key to match_records
// checked and share-locked the parent row for every key inserted: about 9 keys a record, a third
// of a backfill's index write. MatchIndex keeps the invariant itself.
const matchKeysWithoutForeignKey: Migration = {
  id: '0010_match_keys_without_foreign_key',
  sql: (s) => `
ALTER TABLE ${s}.match_keys DROP CONSTRAINT IF EXISTS match_keys_system_record_type_external_id_fkey;
`,
};

// API keys (src/access/key-store.ts): only a SHA-256 of each key is kept; the key is shown once
// by `meridian keys create`. A revoked key keeps its row, so the audit's actor names stay
// explained; a name is unique among the keys in use.
const apiKeys: Migration = {
  id: '0011_api_keys',
  sql: (s) => `
CREATE TABLE ${s}.api_keys (
  id         text PRIMARY KEY CHECK (id ~ '^key_[0-9a-f]{16}$'),
  name       text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
  role       text NOT NULL CHECK (role IN ('admin', 'steward', 'approver', 'agent', 'reader', 'service')),
  key_hash   text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz NULL
);
CREATE UNIQUE INDEX api_keys_active_name_idx ON ${s}.api_keys (name) WHERE revoked_at IS NULL;
`,
};

// Durable capture (src/sync/): every accepted webhook event is kept in the inbox (one row per
// system and event id, written in the transaction that enqueues its sync.change job, so a
// re-delivery is recognised and nothing is half-written); the change feeds' positions, so a
// restarted poller goes on where it stopped; records a change could not read as valid, with why
// (retrying would not help). The inbox supersedes webhook_deliveries (its events are carried over). The job queue itself is
// pg-boss's, in its own schema (src/sync/queue.ts).
const syncCapture: Migration = {
  id: '0012_sync_capture',
  sql: (s) => `
CREATE TABLE ${s}.sync_inbox (
  system       text NOT NULL,
  event_id     text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
  -- What the notification says changed (src/sync/notices.ts ChangeNotice[]).
  notices      jsonb NOT NULL,
  -- The body as received, when it carried this event alone (a Salesforce message carries up to 100).
  raw          text NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  -- Set by the worker once the event's changes were handled.
  processed_at timestamptz NULL,
  PRIMARY KEY (system, event_id)
);
CREATE INDEX sync_inbox_received_idx ON ${s}.sync_inbox (received_at);
CREATE INDEX sync_inbox_unprocessed_idx ON ${s}.sync_inbox (received_at) WHERE processed_at IS NULL;

CREATE TABLE ${s}.sync_cursors (
  system     text NOT NULL,
  -- One system may have several feeds (updated accounts, deleted accounts, people).
  feed       text NOT NULL,
  position   text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (system, feed)
);

CREATE TABLE ${s}.sync_invalid_records (
  system      text NOT NULL,
  record_type text NOT NULL,
  external_id text NOT NULL,
  reason      text NOT NULL,
  change      jsonb NOT NULL,
  seen_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (system, record_type, external_id)
);

-- The events already handled before the inbox existed keep their place: a re-delivery of one is
-- still recognised as a repeat. (webhook_deliveries itself is left as it was, no longer written.)
INSERT INTO ${s}.sync_inbox (system, event_id, notices, received_at, processed_at)
-- Only those handled to the end: one claimed but never finished is accepted again when re-sent.
SELECT system, event_id, '[]'::jsonb, claimed_at, processed_at FROM ${s}.webhook_deliveries WHERE processed_at IS NOT NULL
ON CONFLICT DO NOTHING;
`,
};

// Write-backs (src/sync/decide.ts, outbox.ts, route.ts; docs/sync.md). One outbox row per
// record to write: the changed target paths and their new values, the values as read when the
// row was decided (optimistic concurrency: the worker re-reads and re-decides instead of
// overwriting a change made since), and an idempotency key derived from the row. A row is
// claimed by one worker at a time (FOR UPDATE SKIP LOCKED) for a lease; a claim whose lease ran
// out (the worker died) is taken over. Past the retry budget a row is FAILED and its record gets
// a dead letter (one per record, with the reason) and a SYNC_FAILURE review item. sync_echoes
// remembers each value Meridian wrote for a window, so a notification carrying exactly that value
// is known as our own echo. sync_audit is the append-only trail of what was decided and written.
const syncOutbox: Migration = {
  id: '0013_sync_outbox',
  sql: (s) => `
CREATE TABLE ${s}.sync_outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  golden_id       text NOT NULL,
  system          text NOT NULL,
  record_type     text NOT NULL,
  record_id       text NOT NULL,
  -- Canonical fields written, their golden values (for the echo log and the audit), and per
  -- target path the value to send and the value as read when decided.
  fields          text[] NOT NULL CHECK (cardinality(fields) > 0),
  golden_values   jsonb NOT NULL,
  changes         jsonb NOT NULL,
  expected        jsonb NOT NULL,
  idempotency_key text NOT NULL UNIQUE,
  -- 'decide' (golden vs. system), 'intent:<key>' (updateCustomer through routeUpdate).
  origin          text NOT NULL,
  state           text NOT NULL DEFAULT 'QUEUED' CHECK (state IN ('QUEUED', 'WRITING', 'DONE', 'FAILED', 'SUPERSEDED')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until     timestamptz NULL,
  claimed_by      text NULL,
  -- DONE: 'written' or 'already there'; SUPERSEDED: why; FAILED: the last error.
  outcome         text NULL,
  last_error      text NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  done_at         timestamptz NULL
);
CREATE INDEX sync_outbox_due_idx ON ${s}.sync_outbox (next_attempt_at, id) WHERE state IN ('QUEUED', 'WRITING');
CREATE INDEX sync_outbox_record_idx ON ${s}.sync_outbox (system, record_id, id) WHERE state IN ('QUEUED', 'WRITING');
CREATE INDEX sync_outbox_golden_idx ON ${s}.sync_outbox (golden_id, id);

CREATE TABLE ${s}.sync_dead_letters (
  system      text NOT NULL,
  record_id   text NOT NULL,
  golden_id   text NOT NULL,
  outbox_id   bigint NOT NULL REFERENCES ${s}.sync_outbox (id),
  fields      text[] NOT NULL,
  reason      text NOT NULL,
  attempts    integer NOT NULL,
  review_item_id bigint NULL,
  failed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (system, record_id)
);

CREATE TABLE ${s}.sync_echoes (
  system      text NOT NULL,
  record_id   text NOT NULL,
  field       text NOT NULL,
  value_hash  text NOT NULL,
  outbox_id   bigint NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (system, record_id, field, value_hash)
);
CREATE INDEX sync_echoes_expires_idx ON ${s}.sync_echoes (expires_at);

-- For systems that keep no modification time on a record (Stripe customers): the canonical
-- value of each field as Meridian last saw it and when it saw it change, so a changed value is
-- as recent as the decision that noticed it, not as old as the record's creation (docs/sync.md).
CREATE TABLE ${s}.sync_observed (
  system      text NOT NULL,
  record_id   text NOT NULL,
  field       text NOT NULL,
  value_hash  text NOT NULL,
  changed_at  timestamptz NOT NULL,
  PRIMARY KEY (system, record_id, field)
);

CREATE TABLE ${s}.sync_audit (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('write_queued', 'write_superseded', 'write_done', 'write_failed', 'dead_letter', 'dead_letter_replayed', 'redecided')),
  golden_id   text NOT NULL,
  system      text NULL,
  record_id   text NULL,
  outbox_id   bigint NULL,
  fields      text[] NOT NULL DEFAULT '{}',
  detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
  actor       text NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_audit_golden_idx ON ${s}.sync_audit (golden_id, id);

ALTER TABLE ${s}.review_items DROP CONSTRAINT IF EXISTS review_items_kind_check;
ALTER TABLE ${s}.review_items ADD CONSTRAINT review_items_kind_check CHECK (kind IN ('POSSIBLE_DUPLICATE', 'SYNC_FAILURE'));
`,
};

// What updateCustomer was asked (src/sync/intents.ts): one row per caller and idempotency key,
// so the same key answers the first call's jobs and writes nothing new. The id is derived from
// the caller and the key, so every retry hands write routing the same intent key. A row is a
// claim while state is 'pending' (one call is routing it; a claim older than the lease is
// abandoned and may be taken over) and the answer once 'routed'. A call that fails leaves none.
const syncIntents: Migration = {
  id: '0014_sync_intents',
  sql: (s) => `
CREATE TABLE ${s}.sync_intents (
  id              text PRIMARY KEY CHECK (id ~ '^si_[0-9a-f]{32}$'),
  -- Who asked: the principal's stable id scopes the key; its name is what the audit shows.
  actor_id        text NOT NULL,
  actor           text NOT NULL,
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  -- The id as asked (a retired id stays as asked) and the live customer it acted on.
  requested_id    text NOT NULL,
  golden_id       text NOT NULL REFERENCES ${s}.golden_customers (id),
  -- The canonical values, and a hash of (requested id, values) to tell a repeat from a reuse.
  input           jsonb NOT NULL,
  input_hash      text NOT NULL CHECK (input_hash ~ '^[0-9a-f]{64}$'),
  state           text NOT NULL CHECK (state IN ('pending', 'routed')),
  jobs            jsonb NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  claimed_at      timestamptz NOT NULL DEFAULT now(),
  routed_at       timestamptz NULL,
  CHECK ((state = 'routed') = (jobs IS NOT NULL AND routed_at IS NOT NULL)),
  UNIQUE (actor_id, idempotency_key)
);
CREATE INDEX sync_intents_golden_id_idx ON ${s}.sync_intents (golden_id, created_at);
`,
};

// A feed that cannot be read (the system down, a position it refuses) said so only in the log:
// syncOverview showed the system healthy. Its last failure is kept with its position, and
// cleared when a read succeeds.
const syncCursorErrors: Migration = {
  id: '0015_sync_cursor_errors',
  sql: (s) => `
ALTER TABLE ${s}.sync_cursors ADD COLUMN last_error text NULL, ADD COLUMN error_at timestamptz NULL;
`,
};

export const MIGRATIONS: readonly Migration[] = [
  identityGraph, customerSearch, reviewItems, matchIndex, reviewDecisions, webhookDeliveries, sandboxWorld, backfillCheckpoints,
  searchTokensByRecord, matchKeysWithoutForeignKey, apiKeys, syncCapture, syncOutbox, syncIntents, syncCursorErrors,
];
