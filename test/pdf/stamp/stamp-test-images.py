"""Test images for test/pdf/stamp/stamp-image.test.ts (run with /usr/bin/python3, which has PIL).

  stamp-test-images.py make DIR               writes the images below into DIR
  stamp-test-images.py sample IMAGE RENDER K  prints JSON samples: the colour PIL expects at the centre of
                                              image pixels (composited over white) and the colour found there
                                              in RENDER, a page rendering with K device pixels per image pixel

PIL writes PNG rows with only some of the five filters, so the gradient PNGs come from write_png below, which
uses filter type y % 5 on row y; every such file is re-read with PIL and compared to the intended pixels.
"""
import json
import random
import struct
import sys
import zlib

from PIL import Image

W, H = 32, 24
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
MODES = {0: 'L', 2: 'RGB', 4: 'LA', 6: 'RGBA'}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows, bpp):
    out, prev = bytearray(), bytes(len(rows[0]) if rows else 0)
    for y, row in enumerate(rows):
        kind = y % 5
        out.append(kind)
        for i, value in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
            out.append((value - predictor) & 0xFF)
        prev = row
    return bytes(out)


def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))


def write_png(path, color_type, pixels, interlace=False):
    """pixels: bytes, W*H*channels, rows top to bottom."""
    bpp = CHANNELS[color_type]
    grid = [pixels[y * W * bpp:(y + 1) * W * bpp] for y in range(H)]
    if interlace:
        data = b''
        for x0, y0, dx, dy in ADAM7:
            rows = [b''.join(grid[y][x * bpp:(x + 1) * bpp] for x in range(x0, W, dx)) for y in range(y0, H, dy)]
            if rows and rows[0]:
                data += filter_rows(rows, bpp)
    else:
        data = filter_rows(grid, bpp)
    ihdr = struct.pack('>IIBBBBB', W, H, 8, color_type, 0, 0, 1 if interlace else 0)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(data, 9)) + chunk(b'IEND', b''))
    image = Image.open(path)
    image.load()
    if image.mode != MODES[color_type] or image.tobytes() != pixels:
        sys.exit(f'write_png produced a file PIL reads differently: {path}')


def gradient(channels, alpha=False):
    random.seed(7)
    out = bytearray()
    for y in range(H):
        for x in range(W):
            rgb = [(x * 7 + 20) % 256, (y * 9 + 40) % 256, (x * y + random.randint(0, 6)) % 256]
            px = [(x * 7 + y * 5 + 20) % 256] if channels in (1, 2) else rgb
            if alpha:
                px = px + [(x * 8 + y * 3) % 256]
            out.extend(px)
    return bytes(out)


def palette_image(colors, transparency=None):
    image = Image.new('P', (W, H))
    image.putpalette([v for i in range(colors) for v in ((i * 37) % 256, (i * 91) % 256, (255 - i * 13) % 256)])
    image.putdata([(x // 2 + y) % colors for y in range(H) for x in range(W)])
    if transparency is not None:
        image.info['transparency'] = transparency
    return image


def blocks(mode, colors):
    """Four flat 32x32 quadrants, aligned to JPEG blocks, so JPEG keeps them close to the source colour."""
    image = Image.new(mode, (64, 64))
    for i, color in enumerate(colors):
        image.paste(color, ((i % 2) * 32, (i // 2) * 32, (i % 2) * 32 + 32, (i // 2) * 32 + 32))
    return image


def make(out):
    write_png(f'{out}/gray.png', 0, gradient(1))
    write_png(f'{out}/rgb.png', 2, gradient(3))
    write_png(f'{out}/gray-alpha.png', 4, gradient(2, alpha=True))
    write_png(f'{out}/rgba.png', 6, gradient(3, alpha=True))
    write_png(f'{out}/rgba-opaque.png', 6, bytes(v if i % 4 != 3 else 255 for i, v in enumerate(gradient(3, True))))
    write_png(f'{out}/interlaced.png', 2, gradient(3), interlace=True)
    palette_image(40).save(f'{out}/palette.png')
    alphas = bytes((i * 23) % 256 for i in range(40))
    palette_image(40, transparency=alphas).save(f'{out}/palette-trns.png')
    palette_image(4).save(f'{out}/palette-2bit.png')
    with_key = Image.frombytes('L', (W, H), gradient(1))
    with_key.paste(62, (10, 10, 20, 20))
    with_key.save(f'{out}/gray-key.png', transparency=62)
    with_key = Image.frombytes('RGB', (W, H), gradient(3))
    with_key.paste((20, 40, 0), (10, 10, 20, 20))
    with_key.save(f'{out}/rgb-key.png', transparency=(20, 40, 0))
    Image.new('I;16', (W, H), 30000).save(f'{out}/gray-16bit.png')
    Image.new('L', (4097, 2), 128).save(f'{out}/too-wide.png')
    colors = [(200, 30, 60), (20, 160, 90), (40, 60, 220), (250, 250, 20)]
    blocks('RGB', colors).save(f'{out}/rgb.jpg', quality=95)
    blocks('RGB', colors).save(f'{out}/rgb-progressive.jpg', quality=95, progressive=True)
    blocks('L', [30, 100, 170, 240]).save(f'{out}/gray.jpg', quality=95)
    blocks('CMYK', [(0, 200, 150, 0), (200, 0, 150, 0), (150, 150, 0, 0), (0, 0, 0, 200)]).save(f'{out}/cmyk.jpg')
    blocks('RGB', colors).save(f'{out}/image.gif')


def sample(image_path, render_path, k):
    image = Image.open(image_path)
    if image.mode == 'P' and 'transparency' not in image.info:
        image = image.convert('RGB')
    over_white = Image.new('RGBA', image.size, (255, 255, 255, 255))
    expected = Image.alpha_composite(over_white, image.convert('RGBA')).convert('RGB')
    render = Image.open(render_path).convert('RGB')
    if render.size != (image.width * k, image.height * k):
        sys.exit(f'rendering is {render.size}, expected {(image.width * k, image.height * k)}')
    points = {(image.width // 2, image.height // 2)}
    points.update((x, y) for x in range(0, image.width, 5) for y in range(0, image.height, 5))
    print(json.dumps([
        {'x': x, 'y': y, 'expected': expected.getpixel((x, y)), 'actual': render.getpixel((x * k + k // 2, y * k + k // 2))}
        for x, y in sorted(points)
    ]))


if __name__ == '__main__':
    if sys.argv[1] == 'make':
        make(sys.argv[2])
    else:
        sample(sys.argv[2], sys.argv[3], int(sys.argv[4]))
