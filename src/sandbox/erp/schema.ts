// The sandbox ERP: a plain relational schema of the kind finance systems keep (customers,
// contracts, invoices, payments), each row with updated_at, plus a deletions table so a
// poller can see removals. Meridian reads it read-only like any customer's ERP database.

/** Schema names are spliced into SQL, so only plain identifiers are accepted. */
export function assertSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`ERP schema name must be a lower-case SQL identifier, got ${JSON.stringify(schema)}`);
  }
  return schema;
}

export function erpSchemaSql(schema: string): string {
  const s = assertSchemaName(schema);
  return `
CREATE SCHEMA IF NOT EXISTS ${s};

CREATE TABLE ${s}.customers (
  customer_number       text PRIMARY KEY,
  legal_name            text NOT NULL,
  tax_id                text,
  billing_email         text,
  billing_contact       text,
  phone                 text,
  address_line1         text,
  address_line2         text,
  city                  text,
  region                text,
  postal_code           text,
  country               text,
  currency              char(3) NOT NULL,
  payment_terms         text NOT NULL,
  credit_limit          numeric(14,2),
  accounting_status     text NOT NULL CHECK (accounting_status IN ('good_standing','on_hold','collections','closed')),
  salesforce_account_id text,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL
);
CREATE INDEX ON ${s}.customers (updated_at);
CREATE INDEX ON ${s}.customers (salesforce_account_id);
CREATE INDEX ON ${s}.customers (lower(billing_email));

CREATE TABLE ${s}.contracts (
  contract_id      bigint PRIMARY KEY,
  customer_number  text NOT NULL REFERENCES ${s}.customers (customer_number),
  contract_number  text NOT NULL UNIQUE,
  start_date       date NOT NULL,
  end_date         date,
  total_value      numeric(14,2) NOT NULL,
  currency         char(3) NOT NULL,
  status           text NOT NULL CHECK (status IN ('draft','active','expired','terminated')),
  updated_at       timestamptz NOT NULL
);
CREATE INDEX ON ${s}.contracts (customer_number);
CREATE INDEX ON ${s}.contracts (updated_at);

CREATE TABLE ${s}.invoices (
  invoice_id      bigint PRIMARY KEY,
  customer_number text NOT NULL REFERENCES ${s}.customers (customer_number),
  contract_id     bigint REFERENCES ${s}.contracts (contract_id),
  invoice_number  text NOT NULL UNIQUE,
  issue_date      date NOT NULL,
  due_date        date NOT NULL,
  amount          numeric(14,2) NOT NULL,
  currency        char(3) NOT NULL,
  status          text NOT NULL CHECK (status IN ('open','paid','overdue','void')),
  updated_at      timestamptz NOT NULL
);
CREATE INDEX ON ${s}.invoices (customer_number);
CREATE INDEX ON ${s}.invoices (updated_at);

CREATE TABLE ${s}.payments (
  payment_id      bigint PRIMARY KEY,
  invoice_id      bigint NOT NULL REFERENCES ${s}.invoices (invoice_id),
  customer_number text NOT NULL REFERENCES ${s}.customers (customer_number),
  amount          numeric(14,2) NOT NULL,
  currency        char(3) NOT NULL,
  method          text NOT NULL CHECK (method IN ('wire','ach','card','check')),
  paid_at         timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX ON ${s}.payments (customer_number);
CREATE INDEX ON ${s}.payments (updated_at);

-- Deleted rows leave a trace here, so a poller reading by updated_at also sees removals.
CREATE TABLE ${s}.deletions (
  seq         bigserial PRIMARY KEY,
  table_name  text NOT NULL,
  row_key     text NOT NULL,
  deleted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON ${s}.deletions (deleted_at);

-- Application writes keep updated_at current (the seed loads historic values as they are).
CREATE FUNCTION ${s}.touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION ${s}.record_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ${s}.deletions (table_name, row_key) VALUES (TG_TABLE_NAME, TG_ARGV[0] || ':' || (to_jsonb(OLD) ->> TG_ARGV[0]));
  RETURN OLD;
END $$;

CREATE TRIGGER touch BEFORE UPDATE ON ${s}.customers FOR EACH ROW EXECUTE FUNCTION ${s}.touch_updated_at();
CREATE TRIGGER touch BEFORE UPDATE ON ${s}.contracts FOR EACH ROW EXECUTE FUNCTION ${s}.touch_updated_at();
CREATE TRIGGER touch BEFORE UPDATE ON ${s}.invoices  FOR EACH ROW EXECUTE FUNCTION ${s}.touch_updated_at();
CREATE TRIGGER touch BEFORE UPDATE ON ${s}.payments  FOR EACH ROW EXECUTE FUNCTION ${s}.touch_updated_at();
CREATE TRIGGER gone AFTER DELETE ON ${s}.customers FOR EACH ROW EXECUTE FUNCTION ${s}.record_deletion('customer_number');
CREATE TRIGGER gone AFTER DELETE ON ${s}.contracts FOR EACH ROW EXECUTE FUNCTION ${s}.record_deletion('contract_id');
CREATE TRIGGER gone AFTER DELETE ON ${s}.invoices  FOR EACH ROW EXECUTE FUNCTION ${s}.record_deletion('invoice_id');
CREATE TRIGGER gone AFTER DELETE ON ${s}.payments  FOR EACH ROW EXECUTE FUNCTION ${s}.record_deletion('payment_id');
`;
}
