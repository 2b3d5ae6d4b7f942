/** Decoding of the stream filters the engine must read itself: xref and object streams [§7.4.4, §7.5.8]. */
import zlib from 'node:zlib';
import { PdfDict, PdfName, type PdfObject } from './pdf-objects.js';

/** Undoes PNG row predictors (10–15) [§7.4.4.4, PNG §6]. */
function unpredictPng(data: Buffer, columns: number, colors: number, bpc: number): Buffer {
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8));
  const rowLen = Math.ceil((columns * colors * bpc) / 8);
  const rows = Math.floor(data.length / (rowLen + 1));
  const out = Buffer.alloc(rows * rowLen);
  for (let r = 0; r < rows; r++) {
    const filter = data[r * (rowLen + 1)]!;
    const src = r * (rowLen + 1) + 1;
    const dst = r * rowLen;
    for (let i = 0; i < rowLen; i++) {
      const x = data[src + i]!;
      const a = i >= bpp ? out[dst + i - bpp]! : 0;
      const b = r > 0 ? out[dst - rowLen + i]! : 0;
      const c = r > 0 && i >= bpp ? out[dst - rowLen + i - bpp]! : 0;
      let v: number;
      switch (filter) {
        case 0:
          v = x;
          break;
        case 1:
          v = x + a;
          break;
        case 2:
          v = x + b;
          break;
        case 3:
          v = x + ((a + b) >> 1);
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw new Error(`unknown PNG predictor row filter ${filter}`);
      }
      out[dst + i] = v & 0xff;
    }
  }
  return out;
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
