/** Dates as PDF strings [ISO 32000-1 §7.9.4], in a given IANA time zone (the process's by default). */
import { offsetMinutes, systemTimeZone } from './stamp/stamp-time.js';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `D:20261127194512+03'00'`: the local time in `timeZone` and its offset. */
export function toPdfDate(date: Date, timeZone: string = systemTimeZone()): string {
  const offset = offsetMinutes(date, timeZone);
  const local = new Date(date.getTime() + offset * 60_000);
  const abs = Math.abs(offset);
  return (
    `D:${local.getUTCFullYear()}${pad(local.getUTCMonth() + 1)}${pad(local.getUTCDate())}` +
    `${pad(local.getUTCHours())}${pad(local.getUTCMinutes())}${pad(local.getUTCSeconds())}` +
    `${offset >= 0 ? '+' : '-'}${pad(Math.floor(abs / 60))}'${pad(abs % 60)}'`
  );
}

/** Parses a PDF date string; undefined when it is not one. */
export function fromPdfDate(text: string): Date | undefined {
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Z+-])?(\d{2})?'?(\d{2})?'?/.exec(text);
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', z, oh = '00', om = '00'] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const offset = (Number(oh) * 60 + Number(om)) * (z === '-' ? -1 : z === '+' ? 1 : 0);
  return new Date(utc - offset * 60_000);
}
