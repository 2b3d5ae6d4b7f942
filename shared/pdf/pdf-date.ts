/** Dates as PDF strings [ISO 32000-1 §7.9.4] and as stamp text, in the process's local time zone. */
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function offsetParts(date: Date): { sign: string; hh: string; mm: string } {
  const offset = -date.getTimezoneOffset();
  const abs = Math.abs(offset);
  return { sign: offset >= 0 ? '+' : '-', hh: pad(Math.floor(abs / 60)), mm: pad(abs % 60) };
}

/** `D:20261127194512+03'00'` */
export function toPdfDate(date: Date): string {
  const { sign, hh, mm } = offsetParts(date);
  return (
    `D:${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}${sign}${hh}'${mm}'`
  );
}

/** `2026-11-27 19:45:12 +03:00` */
export function toStampDate(date: Date): string {
  const { sign, hh, mm } = offsetParts(date);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${sign}${hh}:${mm}`
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
