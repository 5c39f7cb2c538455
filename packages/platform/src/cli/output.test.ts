import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIO } from './io.js';
import { emit, textChunks } from './output.js';

const dir = mkdtempSync(join(tmpdir(), 'palisade-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('emit', () => {
  // Two-byte text with surrogate pairs (emoji) where pieces would end, and over 1 Mi characters.
  const text = `${'a'.repeat(1023)}😀${'é'.repeat(2 ** 20)}😀\n`.repeat(3);

  it('never cuts a surrogate pair, and the pieces join to the text', () => {
    const pieces = textChunks(text, 1024);
    expect(pieces.join('')).toBe(text);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(1024);
      const last = p.charCodeAt(p.length - 1);
      expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
    }
    expect(textChunks('short', 1024)).toEqual(['short']);
  });

  it('writes the whole text to --output and to stdout, byte for byte', async () => {
    let out = '';
    const stdout = new PassThrough();
    stdout.setEncoding('utf8');
    stdout.on('data', (d: string) => (out += d));
    const io = { cwd: dir, stdout } as unknown as CliIO;
    await emit(io, text, 'report.json');
    expect(readFileSync(join(dir, 'report.json'))).toEqual(Buffer.from(text, 'utf8'));
    await emit(io, text, '');
    expect(out).toBe(text);
    await expect(emit(io, text, 'no/such/dir/report.json')).rejects.toMatchObject({ code: 'E_IO' });
  });
});
