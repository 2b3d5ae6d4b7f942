/** Reads QR codes back the way a phone camera would: PNG pixels through jsQR. */
import assert from 'node:assert/strict';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';

/** The text of the QR code in a PNG image (a screenshot or the <img>'s bytes). */
export function decodeQrPng(png: Buffer): string {
  const image = PNG.sync.read(png);
  // jsqr is CommonJS: the default import is module.exports, whose `default` is the decoder.
  const code = jsQRModule.default(
    new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length),
    image.width,
    image.height,
  );
  assert.ok(code, 'jsQR finds a QR code in the image');
  return code.data;
}

/** The text of the QR code in a PNG data: URL. */
export function decodeQrDataUrl(dataUrl: string): string {
  const match = /^data:image\/png;base64,(.+)$/.exec(dataUrl);
  assert.ok(match, `a PNG data: URL, got ${dataUrl.slice(0, 40)}…`);
  return decodeQrPng(Buffer.from(match[1] as string, 'base64'));
}
