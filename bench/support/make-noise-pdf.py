"""Writes a PDF of about TARGET_BYTES for the signing benchmark.

Usage: /usr/bin/python3 make-noise-pdf.py OUT.pdf TARGET_BYTES SEED

Each page carries one JPEG of random noise, so the file does not compress and its size is real bytes a
signer has to read, hash and copy. JPEG data is passed through by reportlab (DCTDecode) and ASCII85 is
switched off, so the file holds binary streams as most scanned contracts do. The same SEED gives the
same file.
"""
import io
import random
import sys

from PIL import Image
from reportlab import rl_config

rl_config.useA85 = 0  # binary streams, as in real-world PDFs; must be set before the canvas import

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.utils import ImageReader  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

QUALITY = 75
MAX_PAGES = 300


def noise_jpeg(rng, side):
    image = Image.frombytes('RGB', (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, 'JPEG', quality=QUALITY)
    return out.getvalue()


def main():
    out_path, target, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    # Calibrate bytes per pixel once, then size one image per page (about 1 MB per page).
    bytes_per_pixel = len(noise_jpeg(rng, 256)) / (256 * 256)
    pages = max(4, min(MAX_PAGES, round(target / 1_000_000)))
    side = max(64, int((target / pages / bytes_per_pixel) ** 0.5))
    pdf = canvas.Canvas(out_path, pagesize=A4)
    pdf.setTitle('SignService signing benchmark input')
    for number in range(1, pages + 1):
        pdf.drawString(72, 800, f'Benchmark page {number} of {pages}')
        pdf.drawImage(ImageReader(io.BytesIO(noise_jpeg(rng, side))), 72, 200, 450, 450)
        pdf.showPage()
    pdf.save()


if __name__ == '__main__':
    main()
