/** bfchar blocks hold at most 100 entries [Adobe TN 5014 / PDF 32000 §9.10.3]. */
const MAX_BFCHAR_ENTRIES = 100;

/**
 * Writes a ToUnicode CMap body for 2-byte glyph-id codes (Identity-H): one bfchar entry per glyph, mapping
 * it to the UTF-16BE encoding of its text, so text extraction and search return the original characters
 * [PDF 32000 §9.10.3].
 */
export function toUnicodeCMap(glyphText: ReadonlyMap<number, string>): Buffer {
  const entries = [...glyphText.entries()]
    .filter(([, text]) => text !== '')
    .sort(([a], [b]) => a - b)
    .map(([gid, text]) => `<${hex4(gid)}> <${utf16beHex(text)}>`);
  const blocks: string[] = [];
  for (let i = 0; i < entries.length; i += MAX_BFCHAR_ENTRIES) {
    const chunk = entries.slice(i, i + MAX_BFCHAR_ENTRIES);
    blocks.push(`${chunk.length} beginbfchar\n${chunk.join('\n')}\nendbfchar`);
  }
  const body = [
    '/CIDInit /ProcSet findresource begin',
    '12 dict begin',
    'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def',
    '/CMapType 2 def',
    '1 begincodespacerange',
    '<0000> <FFFF>',
    'endcodespacerange',
    ...blocks,
    'endcmap',
    'CMapName currentdict /CMap defineresource pop',
    'end',
    'end',
  ];
  return Buffer.from(`${body.join('\n')}\n`, 'latin1');
}

/** Four uppercase hex digits, the form of a 2-byte code in a hex string. */
export function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

/** UTF-16BE in hex; code points above U+FFFF become surrogate pairs, as JavaScript strings already hold them. */
function utf16beHex(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += hex4(text.charCodeAt(i));
  return out;
}
