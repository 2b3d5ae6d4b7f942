import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { loadStampImage, type StampColorSpace, type StampImage } from '../../../shared/pdf/stamp/stamp-image.js';
import { buildPdf, onePage, type PdfObject } from './minimal-pdf.js';
import { runToolOk } from './run-tool.js';

// Tests run from dist/test/pdf/stamp; the Python helper stays in the source tree.
const IMAGE_SCRIPT = fileURLToPath(new URL('../../../../test/pdf/stamp/stamp-test-images.py', import.meta.url));
const PYTHON = '/usr/bin/python3';
/** Device pixels per image pixel in the rendering: sampled block centres are free of edge blending. */
const SCALE = 8;

interface RenderCase {
  file: string;
  colorSpace: 'DeviceGray' | 'DeviceRGB' | 'Indexed';
  filter: 'FlateDecode' | 'DCTDecode';
  smask: boolean;
  /** Largest allowed channel difference between PIL's decoding and poppler's rendering. */
  tolerance: number;
}

const RENDER_CASES: RenderCase[] = [
  { file: 'gray.png', colorSpace: 'DeviceGray', filter: 'FlateDecode', smask: false, tolerance: 2 },
  { file: 'rgb.png', colorSpace: 'DeviceRGB', filter: 'FlateDecode', smask: false, tolerance: 2 },
  { file: 'palette.png', colorSpace: 'Indexed', filter: 'FlateDecode', smask: false, tolerance: 2 },
  { file: 'palette-trns.png', colorSpace: 'Indexed', filter: 'FlateDecode', smask: true, tolerance: 2 },
  { file: 'gray-key.png', colorSpace: 'DeviceGray', filter: 'FlateDecode', smask: true, tolerance: 2 },
  { file: 'rgb-key.png', colorSpace: 'DeviceRGB', filter: 'FlateDecode', smask: true, tolerance: 2 },
  { file: 'gray-alpha.png', colorSpace: 'DeviceGray', filter: 'FlateDecode', smask: true, tolerance: 2 },
  { file: 'rgba.png', colorSpace: 'DeviceRGB', filter: 'FlateDecode', smask: true, tolerance: 2 },
  { file: 'rgba-opaque.png', colorSpace: 'DeviceRGB', filter: 'FlateDecode', smask: false, tolerance: 2 },
  { file: 'rgb.jpg', colorSpace: 'DeviceRGB', filter: 'DCTDecode', smask: false, tolerance: 6 },
  { file: 'rgb-progressive.jpg', colorSpace: 'DeviceRGB', filter: 'DCTDecode', smask: false, tolerance: 6 },
  { file: 'gray.jpg', colorSpace: 'DeviceGray', filter: 'DCTDecode', smask: false, tolerance: 6 },
];

interface Sample {
  x: number;
  y: number;
  expected: number[];
  actual: number[];
}

function colorSpaceName(colorSpace: StampColorSpace): string {
  return typeof colorSpace === 'string' ? colorSpace : 'Indexed';
}

function pdfColorSpace(colorSpace: StampColorSpace): string {
  if (typeof colorSpace === 'string') return `/${colorSpace}`;
  const { base, hival, lookup } = colorSpace.indexed;
  return `[/Indexed /${base} ${hival} <${lookup.toString('hex')}>]`;
}

/** One page showing the image at SCALE points per pixel, with its soft mask; objects written by hand. */
function imagePdf(image: StampImage): Buffer {
  const [w, h] = [image.width * SCALE, image.height * SCALE];
  const parms = image.decodeParms
    ? ` /DecodeParms << ${Object.entries(image.decodeParms)
        .map(([key, value]) => `/${key} ${value}`)
        .join(' ')} >>`
    : '';
  const objects: PdfObject[] = [
    ...onePage(w, h, '<< /XObject << /Im1 5 0 R >> >>', `q ${w} 0 0 ${h} 0 0 cm /Im1 Do Q`),
    {
      dict:
        `/Type /XObject /Subtype /Image /Width ${image.width} /Height ${image.height} ` +
        `/ColorSpace ${pdfColorSpace(image.colorSpace)} /BitsPerComponent ${image.bitsPerComponent} ` +
        `/Filter /${image.filter}${parms}${image.smask ? ' /SMask 6 0 R' : ''}`,
      data: image.data,
    },
  ];
  if (image.smask) {
    const { width, height, data } = image.smask;
    objects.push({
      dict: `/Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode`,
      data,
    });
  }
  return buildPdf(objects);
}

function assertUnsupported(bytes: Buffer, reason: RegExp): void {
  assert.throws(
    () => loadStampImage(bytes),
    (error: unknown) => {
      assert.ok(error instanceof AppError, `expected AppError, got ${String(error)}`);
      assert.equal(error.code, ErrorCode.IMAGE_UNSUPPORTED);
      assert.match(error.message, reason);
      assert.match(error.message, /; use an 8-bit PNG or a JPEG$/);
      return true;
    },
  );
}

describe('loadStampImage', () => {
  let dir: string;
  const read = (name: string) => fs.readFileSync(path.join(dir, name));

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stamp-image-'));
    runToolOk(PYTHON, [IMAGE_SCRIPT, 'make', dir]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const c of RENDER_CASES) {
    it(`embeds ${c.file} so that poppler renders the same pixels PIL decodes`, () => {
      const image = loadStampImage(read(c.file));
      assert.equal(colorSpaceName(image.colorSpace), c.colorSpace);
      assert.equal(image.filter, c.filter);
      assert.equal(image.smask !== undefined, c.smask, 'soft mask present');
      if (c.filter === 'DCTDecode') assert.ok(image.data.equals(read(c.file)), 'JPEG passes through unchanged');

      const pdfPath = path.join(dir, `${c.file}.pdf`);
      fs.writeFileSync(pdfPath, imagePdf(image));
      runToolOk('qpdf', ['--check', pdfPath]);
      runToolOk('pdftoppm', ['-png', '-r', '72', '-singlefile', pdfPath, pdfPath]);
      const samples = JSON.parse(
        runToolOk(PYTHON, [IMAGE_SCRIPT, 'sample', path.join(dir, c.file), `${pdfPath}.png`, String(SCALE)]).stdout,
      ) as Sample[];
      assert.ok(samples.length > 20, 'sampled the middle and a grid of pixels');
      for (const { x, y, expected, actual } of samples) {
        const worst = Math.max(...expected.map((value, i) => Math.abs(value - actual[i])));
        assert.ok(worst <= c.tolerance, `pixel (${x},${y}): expected ${expected}, rendered ${actual}`);
      }
    });
  }

  it('reads size and components of a CMYK JPEG', () => {
    const image = loadStampImage(read('cmyk.jpg'));
    assert.deepEqual([image.width, image.height, image.colorSpace], [64, 64, 'DeviceCMYK']);
  });

  it('passes opaque PNG data through with a PNG predictor', () => {
    const image = loadStampImage(read('rgb.png'));
    assert.deepEqual(image.decodeParms, { Predictor: 15, Colors: 3, BitsPerComponent: 8, Columns: 32 });
    assert.equal(loadStampImage(read('rgba.png')).decodeParms, undefined, 'decoded data has no predictor');
  });

  it('rejects 16-bit, interlaced, low-bit-depth and oversized PNGs', () => {
    assertUnsupported(read('gray-16bit.png'), /16 bits per channel/);
    assertUnsupported(read('interlaced.png'), /interlaced/);
    assertUnsupported(read('palette-2bit.png'), /2 bits per sample/);
    assertUnsupported(read('too-wide.png'), /4097×2 pixels, more than 4096/);
  });

  it('rejects other formats and random bytes', () => {
    assertUnsupported(read('image.gif'), /a GIF, not PNG or JPEG/);
    assertUnsupported(randomBytes(2048), /unknown format/);
    assertUnsupported(Buffer.alloc(0), /empty/);
  });

  it('rejects truncated and corrupt files', () => {
    const png = read('rgb.png');
    assertUnsupported(png.subarray(0, png.length - 20), /truncated/);
    const corrupt = Buffer.from(png);
    const idat = corrupt.indexOf('IDAT', 0, 'latin1');
    for (let i = idat + 40; i < idat + 60; i++) corrupt[i] ^= 0x5a;
    assertUnsupported(corrupt, /corrupt/);
    assertUnsupported(read('rgb.jpg').subarray(0, 30), /truncated or corrupt/);
  });
});
