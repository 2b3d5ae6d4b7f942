/** A PDF object for `buildPdf`: a direct body (dictionary, array) or a stream whose `dict` lacks /Length. */
export type PdfObject = string | { dict: string; data: Buffer };

/**
 * Builds a complete one-revision PDF by hand for tests: objects are numbered 1..n in the given order,
 * object 1 must be the catalog. Offsets in the classic xref table are exact [PDF 32000 §7.5.4].
 */
export function buildPdf(objects: PdfObject[]): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = parts[0].length;
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(length);
    const body =
      typeof object === 'string'
        ? [Buffer.from(`${i + 1} 0 obj\n${object}\nendobj\n`, 'latin1')]
        : [
            Buffer.from(`${i + 1} 0 obj\n<< ${object.dict} /Length ${object.data.length} >>\nstream\n`, 'latin1'),
            object.data,
            Buffer.from('\nendstream\nendobj\n', 'latin1'),
          ];
    for (const part of body) {
      parts.push(part);
      length += part.length;
    }
  });
  const xref = [
    'xref',
    `0 ${objects.length + 1}`,
    '0000000000 65535 f\r',
    ...offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n\r`),
    'trailer',
    `<< /Size ${objects.length + 1} /Root 1 0 R >>`,
    'startxref',
    String(length),
    '%%EOF',
    '',
  ];
  parts.push(Buffer.from(xref.join('\n'), 'latin1'));
  return Buffer.concat(parts);
}

/** Catalog, page tree and one page with the given size, resources and content: objects 1..4 of a test PDF. */
export function onePage(width: number, height: number, resources: string, content: string): PdfObject[] {
  return [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${width} ${height}] /Resources ${resources} /Contents 4 0 R >>`,
    { dict: '', data: Buffer.from(content, 'latin1') },
  ];
}

/** One page of `pagesPdf`: its MediaBox, optional CropBox and /Rotate. */
export interface TestPage {
  label: string;
  mediaBox: [number, number, number, number];
  cropBox?: [number, number, number, number];
  rotate?: 0 | 90 | 180 | 270;
}

/**
 * A PDF with the given pages, each painted light grey over its whole MediaBox, so that a stamp's white or
 * tinted box shows against it in a render.
 */
export function pagesPdf(pages: TestPage[]): Buffer {
  const kids = pages.map((_, i) => `${3 + 2 * i} 0 R`).join(' ');
  const objects: PdfObject[] = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`,
  ];
  pages.forEach((page, i) => {
    const [x0, y0, x1, y1] = page.mediaBox;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [${page.mediaBox.join(' ')}]` +
        `${page.cropBox ? ` /CropBox [${page.cropBox.join(' ')}]` : ''} /Rotate ${page.rotate ?? 0}` +
        ` /Resources << >> /Contents ${4 + 2 * i} 0 R >>`,
      { dict: '', data: Buffer.from(`0.85 g ${x0} ${y0} ${x1 - x0} ${y1 - y0} re f`, 'latin1') },
    );
  });
  return buildPdf(objects);
}
