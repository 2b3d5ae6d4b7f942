/** Decoding of the stream filters the engine must read itself: xref and object streams [§7.4.4, §7.5.8]. */
import zlib from 'node:zlib';
import { PdfDict, PdfName, type PdfObject } from './pdf-objects.js';
import { unfilterScanlines } from './stamp/png-filters.js';

/** Undoes PNG row predictors (10–15) [§7.4.4.4] with the PNG unfilter shared with the stamp images. */
function unpredictPng(data: Buffer, columns: number, colors: number, bpc: number): Buffer {
  const bytesPerPixel = Math.max(1, Math.ceil((colors * bpc) / 8));
  const rows = Math.floor(data.length / (Math.ceil((columns * colors * bpc) / 8) + 1));
  try {
    return unfilterScanlines(data, Math.ceil((columns * colors * bpc) / 8 / bytesPerPixel), rows, bytesPerPixel);
  } catch (e) {
    throw new Error(`bad predictor data in a stream (${(e as Error).message})`);
  }
}

function inflate(data: Buffer): Buffer {
  try {
    return zlib.inflateSync(data);
  } catch {
    // Some producers omit the Adler-32 trailer; accept what decodes.
    return zlib.inflateSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  }
}

/** Decodes a stream's data per its /Filter and /DecodeParms (FlateDecode with predictors only). */
export function decodeStreamData(dict: PdfDict, data: Buffer): Buffer {
  const filter = dict.get('Filter');
  const filters = filter === undefined || filter === null ? [] : Array.isArray(filter) ? filter : [filter];
  const parmsRaw = dict.get('DecodeParms');
  const parmsList: PdfObject[] = Array.isArray(parmsRaw) ? parmsRaw : [parmsRaw ?? null];
  let out = data;
  filters.forEach((f, i) => {
    if (!(f instanceof PdfName)) throw new Error('stream /Filter is not a name');
    if (f.name !== 'FlateDecode' && f.name !== 'Fl') throw new Error(`unsupported stream filter ${f.name}`);
    out = inflate(out);
    const parms = parmsList[i];
    if (parms instanceof PdfDict) {
      const predictor = Number(parms.get('Predictor') ?? 1);
      if (predictor >= 10) {
        out = unpredictPng(
          out,
          Number(parms.get('Columns') ?? 1),
          Number(parms.get('Colors') ?? 1),
          Number(parms.get('BitsPerComponent') ?? 8),
        );
      } else if (predictor !== 1) throw new Error(`unsupported predictor ${predictor}`);
    }
  });
  return out;
}
