import { AppError, ErrorCode } from '../../errors.js';

/** Largest width or height we embed: a seal needs no more, and it bounds memory for decoded pixels. */
export const MAX_IMAGE_SIDE = 4096;

/** The error for an image we cannot embed; the message ends with what the user can do instead. */
export function imageError(reason: string): AppError {
  return new AppError(ErrorCode.IMAGE_UNSUPPORTED, `${reason}; use an 8-bit PNG or a JPEG`);
}

/** Rejects empty or oversized images before any pixel is decoded. */
export function checkImageSize(width: number, height: number): void {
  if (width === 0 || height === 0) throw imageError('The image has no pixels (width or height is 0)');
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw imageError(`The image is ${width}×${height} pixels, more than ${MAX_IMAGE_SIDE} on a side (scale it down)`);
  }
}
