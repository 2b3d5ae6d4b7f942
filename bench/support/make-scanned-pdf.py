"""Writes a scanned-document PDF of about TARGET_BYTES made by img2pdf, the "foreign" benchmark input.

Usage: /usr/bin/python3 make-scanned-pdf.py OUT.pdf TARGET_BYTES SEED

Unlike make-noise-pdf.py (reportlab), the PDF itself comes from another producer, as a scanner's software
would write it: img2pdf wraps each page's JPEG without re-encoding and writes a linearized file, whose newest
cross-reference table sits at the start. The pages are A4 at 200 dpi, greyscale noise (so the JPEGs cannot
be compressed smaller), about 2.6 MB each. The same SEED gives the same file.
"""
import io
import os
import random
import subprocess
import sys
import tempfile

from PIL import Image

DPI = 200
WIDTH, HEIGHT = 1654, 2339  # A4 at 200 dpi
QUALITY = 85


def noise_jpeg(rng):
    image = Image.frombytes('L', (WIDTH, HEIGHT), rng.randbytes(WIDTH * HEIGHT))
    out = io.BytesIO()
    image.save(out, 'JPEG', quality=QUALITY, dpi=(DPI, DPI))
    return out.getvalue()


def main():
    out_path, target, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix='scanned-pages-') as pages_dir:
        pages, total = [], 0
        while total < target or not pages:
            page = noise_jpeg(rng)
            if pages and total + len(page) - target > target - total:
                break  # one more page would overshoot the target by more than stopping undershoots it
            path = os.path.join(pages_dir, f'page-{len(pages) + 1:03d}.jpg')
            with open(path, 'wb') as f:
                f.write(page)
            pages.append(path)
            total += len(page)
        subprocess.run(['img2pdf', '--output', out_path, *pages], check=True)


if __name__ == '__main__':
    main()
