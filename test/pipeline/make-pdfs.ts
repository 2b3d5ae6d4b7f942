/** Test PDFs made with pdf-lib (an independent producer, not our engine): n pages of text each. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';

/** One PDF with `pages` pages saying `title`. */
export async function makePdf(title: string, pages = 2): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 1; i <= pages; i++) {
    const page = doc.addPage([595, 842]);
    page.drawText(`${title} - page ${i} of ${pages}`, { x: 60, y: 760, size: 14, font });
  }
  // No object streams: the classic xref table form most producers still write.
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

/** Writes `count` PDFs named doc-1.pdf … into `dir`; returns their paths. */
export async function writePdfs(dir: string, count: number, prefix = 'doc'): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 1; i <= count; i++) {
    const file = path.join(dir, `${prefix}-${i}.pdf`);
    await fs.writeFile(file, await makePdf(`Contract ${prefix} #${i}`, 1 + (i % 3)));
    files.push(file);
  }
  return files;
}
