/**
 * Sign requests in the embedded store: the queried fields (state, account, times, version) as columns,
 * the whole request as JSON. `update` is one conditional UPDATE (`WHERE version = ?`), which SQLite runs
 * atomically across processes, so two workers advancing the same request cannot both win.
 */
import type { SignRequest, StepName, StepResult } from '../../domain/sign-request.js';
import { AppError, ErrorCode } from '../../errors.js';
import type { SignRequestRepository } from '../store-ports.js';
import { isUniqueViolation, type SqliteDatabase, withStoreErrors } from './sqlite-database.js';

interface RequestRow {
  id: string;
  version: number;
  body: string;
}

/** The request as JSON text: JSON turns Dates into ISO strings, which `fromRow` turns back. */
function toBody(request: SignRequest): string {
  return JSON.stringify(request);
}

function reviveDate(value: unknown, what: string, id: string): Date {
  const date = new Date(value as string);
  if (typeof value !== 'string' || Number.isNaN(date.getTime())) {
    throw new AppError(ErrorCode.INTERNAL, `sign request ${id} is unreadable: ${what} is not a date`);
  }
  return date;
}

function fromRow(row: RequestRow): SignRequest {
  let parsed: SignRequest;
  try {
    parsed = JSON.parse(row.body) as SignRequest;
  } catch {
    throw new AppError(ErrorCode.INTERNAL, `sign request ${row.id} is unreadable: its body is not valid JSON`);
  }
  const steps: Partial<Record<StepName, StepResult>> = {};
  for (const [name, result] of Object.entries(parsed.steps ?? {})) {
    steps[name as StepName] = { ...result, at: reviveDate(result.at, `step ${name}`, row.id) };
  }
  return {
    ...parsed,
    // The column is the truth: `update` bumps it without rewriting the JSON's copy twice.
    version: row.version,
    steps,
    createdAt: reviveDate(parsed.createdAt, 'createdAt', row.id),
    updatedAt: reviveDate(parsed.updatedAt, 'updatedAt', row.id),
    ...(parsed.deadline === undefined ? {} : { deadline: reviveDate(parsed.deadline, 'deadline', row.id) }),
  };
}

/** The SignRequestRepository over the embedded SQLite file. */
export function embeddedSignRequestRepository(db: SqliteDatabase): SignRequestRepository {
  const insert = db.prepare(
    `INSERT INTO sign_requests (id, state, version, account_id, created_at, updated_at, body)
     VALUES (@id, @state, @version, @accountId, @createdAt, @updatedAt, @body)`,
  );
  const select = db.prepare<[string], RequestRow>('SELECT id, version, body FROM sign_requests WHERE id = ?');
  const compareAndSet = db.prepare(
    `UPDATE sign_requests SET state = @state, version = @version, account_id = @accountId,
       updated_at = @updatedAt, body = @body
     WHERE id = @id AND version = @expected`,
  );
  const columns = (r: SignRequest, version: number) => ({
    id: r.id,
    state: r.state,
    version,
    accountId: r.accountId,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    body: toBody({ ...r, version }),
  });

  return withStoreErrors('signRequests', {
    async create(request) {
      try {
        insert.run(columns(request, request.version));
      } catch (e) {
        if (!isUniqueViolation(e, 'sign_requests.id')) throw e;
        throw new AppError(ErrorCode.INVALID_ARGUMENT, `A sign request with id ${request.id} exists already`);
      }
    },
    async get(id) {
      const row = select.get(id);
      return row ? fromRow(row) : undefined;
    },
    async update(request, expectedVersion) {
      const changed = compareAndSet.run({ ...columns(request, expectedVersion + 1), expected: expectedVersion });
      return changed.changes === 1;
    },
    async list(filter = {}, limit = 100) {
      const where: string[] = [];
      const params: Record<string, string | number> = { limit: Math.max(1, Math.floor(limit)) };
      if (filter.state !== undefined) {
        where.push('state = @state');
        params.state = filter.state;
      }
      if (filter.accountId !== undefined) {
        where.push('account_id = @accountId');
        params.accountId = filter.accountId;
      }
      if (filter.updatedBefore !== undefined) {
        // ISO strings of the same format compare as text in time order.
        where.push('updated_at < @updatedBefore');
        params.updatedBefore = filter.updatedBefore.toISOString();
      }
      if (filter.batchId !== undefined) {
        // Not a column: batches are read per account (indexed), the JSON is looked at only for its rows.
        where.push("json_extract(body, '$.batchId') = @batchId");
        params.batchId = filter.batchId;
      }
      const sql =
        'SELECT id, version, body FROM sign_requests' +
        (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
        ' ORDER BY created_at DESC, id DESC LIMIT @limit';
      return db.prepare<Record<string, string | number>, RequestRow>(sql).all(params).map(fromRow);
    },
  });
}
