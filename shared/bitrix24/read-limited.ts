/** Reading a download body with a size cap, so a huge or endless answer cannot exhaust memory. */
import { AppError, ErrorCode } from '../errors.js';

/**
 * The body of `response`, at most `maxBytes`.
 * @throws AppError B24_METHOD_FAILED when the file is larger.
 */
export async function readLimited(response: Response, maxBytes: number, memberId: string): Promise<Buffer> {
  const tooBig = () =>
    new AppError(
      ErrorCode.B24_METHOD_FAILED,
      `Bitrix24 portal ${memberId}: the file is larger than ${maxBytes} bytes`,
      {
        details: { memberId, maxBytes },
      },
    );
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (response.body) {
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > maxBytes) throw tooBig();
      chunks.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(chunks);
}
