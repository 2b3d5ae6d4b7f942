/**
 * The embedded store's tables, one per aggregate. Dates are ISO-8601 strings (they sort as text and read
 * back exactly); nested values that are never queried (an encrypted secret, the failure times, the body
 * of a sign log entry) are JSON text.
 */

/** Version 1: accounts, enrollment links, grants and the sign log. */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS accounts (
  id               TEXT PRIMARY KEY,
  login            TEXT NOT NULL,
  -- lower-cased login (store-keys.ts): uniqueness that also folds non-ASCII letters
  login_key        TEXT NOT NULL UNIQUE,
  description      TEXT NOT NULL,
  email            TEXT,
  email_key        TEXT,
  bitrix_member_id TEXT,
  bitrix_user_id   INTEGER,
  status           TEXT NOT NULL,
  otp_disabled     INTEGER NOT NULL,
  otp_secret       TEXT,
  otp_enrolled_at  TEXT,
  otp_last_step    INTEGER,
  otp_failures     TEXT NOT NULL DEFAULT '[]',
  locked_until     TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
-- One account per Bitrix24 user (NULLs are distinct, so unlinked accounts do not collide).
CREATE UNIQUE INDEX IF NOT EXISTS accounts_bitrix ON accounts (bitrix_member_id, bitrix_user_id);
CREATE INDEX IF NOT EXISTS accounts_email ON accounts (email_key);

CREATE TABLE IF NOT EXISTS enrollment_links (
  token_hash     TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  expires_at     TEXT NOT NULL,
  used_at        TEXT,
  pending_secret TEXT
);
CREATE INDEX IF NOT EXISTS enrollment_links_account ON enrollment_links (account_id);

CREATE TABLE IF NOT EXISTS grants (
  account_id TEXT NOT NULL,
  cert_id    TEXT NOT NULL,
  is_default INTEGER NOT NULL,
  granted_at TEXT NOT NULL,
  PRIMARY KEY (account_id, cert_id)
);
CREATE INDEX IF NOT EXISTS grants_cert ON grants (cert_id);

CREATE TABLE IF NOT EXISTS sign_log (
  seq       INTEGER PRIMARY KEY,
  time      TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL,
  -- every other field of the entry, as JSON
  body      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_log_time ON sign_log (time);
-- Append-only: the service never edits or deletes an entry. Someone with the file can drop these
-- triggers, which is what the hash chain is for ('signservice audit verify').
CREATE TRIGGER IF NOT EXISTS sign_log_no_update BEFORE UPDATE ON sign_log
  BEGIN SELECT RAISE(ABORT, 'the sign log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS sign_log_no_delete BEFORE DELETE ON sign_log
  BEGIN SELECT RAISE(ABORT, 'the sign log is append-only'); END;
`;

/**
 * Version 2: sign requests (the pipeline's per-step progress) and the sign log's optional dedupe key, on
 * which `appendOnce` relies (UNIQUE; NULLs are distinct, so plain appends never collide). Adding a column
 * changes no stored row, so the hash chain of an existing log is untouched.
 */
export const SCHEMA_V2_SQL = `
ALTER TABLE sign_log ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS sign_log_dedupe ON sign_log (dedupe_key);

CREATE TABLE IF NOT EXISTS sign_requests (
  id         TEXT PRIMARY KEY,
  state      TEXT NOT NULL,
  -- compare-and-set counter: every update must name the version it read
  version    INTEGER NOT NULL,
  account_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- the whole request as JSON (dates as ISO strings)
  body       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_requests_state ON sign_requests (state, created_at);
CREATE INDEX IF NOT EXISTS sign_requests_account ON sign_requests (account_id, created_at);
`;

/**
 * Version 3: the account's language for e-mails and notices (NULL: not set, the portal's or the default
 * language applies), so existing accounts keep working unchanged.
 */
export const SCHEMA_V3_SQL = `
ALTER TABLE accounts ADD COLUMN language TEXT;
`;

/**
 * Version 4: the keyed sign log. Each entry gets its MAC (NULL on entries of the old format until the
 * upgrade adds it: the update trigger now lets exactly that change through, nothing else), signed
 * checkpoints of the head, and the service key that signs them (sealed under the master key). Checkpoints
 * are append-only too, except that a missing timestamp may be added once; the service key is never
 * replaced. Adding a column changes no stored row, so existing hashes stay valid.
 */
export const SCHEMA_V4_SQL = `
ALTER TABLE sign_log ADD COLUMN mac TEXT;
DROP TRIGGER IF EXISTS sign_log_no_update;
CREATE TRIGGER sign_log_no_update BEFORE UPDATE ON sign_log
  WHEN NOT (OLD.mac IS NULL AND NEW.mac IS NOT NULL AND NEW.seq IS OLD.seq AND NEW.time IS OLD.time
            AND NEW.prev_hash IS OLD.prev_hash AND NEW.hash IS OLD.hash AND NEW.body IS OLD.body
            AND NEW.dedupe_key IS OLD.dedupe_key)
  BEGIN SELECT RAISE(ABORT, 'the sign log is append-only'); END;

CREATE TABLE IF NOT EXISTS sign_log_checkpoints (
  number             INTEGER PRIMARY KEY,
  seq                INTEGER NOT NULL,
  hash               TEXT NOT NULL,
  time               TEXT NOT NULL,
  -- base64 DER ECDSA signature by the service key, and the hex SHA-256 of its certificate
  signature          TEXT NOT NULL,
  certificate_sha256 TEXT NOT NULL,
  -- base64 RFC 3161 token over SHA-256(signature); NULL until a timestamp authority answered
  timestamp          TEXT
);
CREATE TRIGGER IF NOT EXISTS sign_log_checkpoints_no_update BEFORE UPDATE ON sign_log_checkpoints
  WHEN NOT (OLD.timestamp IS NULL AND NEW.timestamp IS NOT NULL AND NEW.number IS OLD.number
            AND NEW.seq IS OLD.seq AND NEW.hash IS OLD.hash AND NEW.time IS OLD.time
            AND NEW.signature IS OLD.signature AND NEW.certificate_sha256 IS OLD.certificate_sha256)
  BEGIN SELECT RAISE(ABORT, 'sign log checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS sign_log_checkpoints_no_delete BEFORE DELETE ON sign_log_checkpoints
  BEGIN SELECT RAISE(ABORT, 'sign log checkpoints are append-only'); END;

CREATE TABLE IF NOT EXISTS service_keys (
  id          TEXT PRIMARY KEY,
  -- base64 DER of the self-signed certificate
  certificate TEXT NOT NULL,
  -- JSON of the PKCS#8 private key sealed under the master key
  sealed_key  TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS service_keys_no_update BEFORE UPDATE ON service_keys
  BEGIN SELECT RAISE(ABORT, 'the service key is never replaced'); END;
CREATE TRIGGER IF NOT EXISTS service_keys_no_delete BEFORE DELETE ON service_keys
  BEGIN SELECT RAISE(ABORT, 'the service key is never replaced'); END;
`;

/**
 * Version 5: accounts belong to one portal (`member_id`, NULL for a service-wide account); accounts linked
 * already get their link's portal. And the tally behind the rate limit of `otp_failed` entries: failed
 * attempts no entry has counted yet, and when the last such entry was written.
 */
export const SCHEMA_V5_SQL = `
ALTER TABLE accounts ADD COLUMN member_id TEXT;
UPDATE accounts SET member_id = bitrix_member_id WHERE bitrix_member_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS accounts_member ON accounts (member_id, login_key);
ALTER TABLE accounts ADD COLUMN otp_fail_tally INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN otp_fail_logged_at TEXT;
`;

/**
 * Version 6: the account's own time zone (IANA name; NULL: the Bitrix24 user's, else the service's), and when
 * an enrollment link was ended early by a newer one (NULL: never), so the person reads "replaced", not "expired".
 */
export const SCHEMA_V6_SQL = `
ALTER TABLE accounts ADD COLUMN time_zone TEXT;
ALTER TABLE enrollment_links ADD COLUMN replaced_at TEXT;
`;

/** `MIGRATIONS[i]` takes a file from schema version i to i + 1; append a step for every schema change. */
export const MIGRATIONS: readonly string[] = [
  SCHEMA_SQL,
  SCHEMA_V2_SQL,
  SCHEMA_V3_SQL,
  SCHEMA_V4_SQL,
  SCHEMA_V5_SQL,
  SCHEMA_V6_SQL,
];

/** The schema version this code writes (`PRAGMA user_version`). */
export const SCHEMA_VERSION = MIGRATIONS.length;
