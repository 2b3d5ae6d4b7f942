/**
 * A large PDF fast: one text page and an unreferenced stream object of random (incompressible) bytes, so
 * the file is as big as asked while readers and verifiers only walk one small page. Written by hand, with
 * a classic cross-reference table, as the smallest producers do.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';

/** Writes a valid PDF of about `bytes` bytes (at least a few hundred) to `file`. */
export async function writeLargePdf(file: string, bytes: number, title: string): Promise<void> {
  const content = `BT /F1 14 Tf 60 760 Td (${title.replace(/[()\\]/g, '')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets: number[] = [];
  let length = parts[0]!.length;
  const add = (chunk: Buffer) => {
    parts.push(chunk);
    length += chunk.length;
  };
  objects.forEach((body, i) => {
    offsets.push(length);
    add(Buffer.from(`${i + 1} 0 obj\n${body}\nendobj\n`, 'latin1'));
  });
  const noise = Math.max(0, bytes - length - 400);
  offsets.push(length);
  add(Buffer.from(`6 0 obj\n<< /Length ${noise} >>\nstream\n`, 'latin1'));
  add(crypto.randomBytes(noise));
  add(Buffer.from('\nendstream\nendobj\n', 'latin1'));
  const xref = length;
  const rows = offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  add(Buffer.from(`xref\n0 ${offsets.length + 1}\n0000000000 65535 f \n${rows}`, 'latin1'));
  add(Buffer.from(`trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`, 'latin1'));
  await fs.writeFile(file, Buffer.concat(parts));
}
