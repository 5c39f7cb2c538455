/**
 * Checks the structure of a zstd stream before its bytes reach a decoder.
 * fzstd trusts frame headers: a 20-byte frame declaring a 2 GiB window (or a
 * 2 GiB single-segment content size) makes it allocate that much at once, and
 * it accepts RLE blocks of 2 MiB where the format allows 128 KiB. The guard
 * walks frame and block headers incrementally (RFC 8878 section 3.1) and
 * rejects those, so memory stays bounded whatever the input.
 */
import { PalisadeError } from '../../core/errors.js';

/** zstd's own default decoder limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT = 27). */
export const ZSTD_MAX_WINDOW = 1 << 27;
const MAX_BLOCK = 128 * 1024;
const ZSTD_MAGIC = 0xfd2fb528;

type State =
  'magic' | 'skipSize' | 'skipData' | 'fhd' | 'headerRest' | 'blockHeader' | 'blockData' | 'checksum';

export class ZstdGuard {
  private state: State = 'magic';
  /** Bytes still to collect (into `field`) or to skip, for the current state. */
  private need = 4;
  private field: number[] = [];
  private fhd = 0;
  private checksum = false;
  private window = 0;
  private frames = 0;

  constructor(private readonly what: string) {}

  private fail(message: string): never {
    throw new PalisadeError('E_UNSUPPORTED', `${this.what}: zstd stream ${message}`);
  }

  /** Feeds the next compressed bytes; throws when the stream is outside the bounds. */
  feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'skipData' || this.state === 'blockData') {
        const take = Math.min(this.need, chunk.length - i);
        i += take;
        this.need -= take;
        if (this.need === 0) this.afterSkip();
        continue;
      }
      this.field.push(chunk[i] as number);
      i++;
      if (this.field.length === this.need) {
        const f = this.field;
        this.field = [];
        this.onField(f);
      }
    }
  }

  /** True when the bytes so far end at a frame boundary (a complete stream). */
  get complete(): boolean {
    return this.state === 'magic' && this.field.length === 0 && this.frames > 0;
  }

  private afterSkip(): void {
    if (this.state === 'skipData') {
      this.expect('magic', 4);
    } else {
      this.afterBlock();
    }
  }

  private lastBlock = false;

  private afterBlock(): void {
    if (!this.lastBlock) this.expect('blockHeader', 3);
    else if (this.checksum) this.expect('checksum', 4);
    else this.endFrame();
  }

  private endFrame(): void {
    this.frames++;
    this.expect('magic', 4);
  }

  private expect(state: State, need: number): void {
    this.state = state;
    this.need = need;
  }

  private onField(f: number[]): void {
    switch (this.state) {
      case 'magic': {
        const magic = le(f);
        if (magic === ZSTD_MAGIC) {
          this.expect('fhd', 1);
        } else if (magic >>> 4 === 0x184d2a5) {
          this.expect('skipSize', 4);
        } else {
          this.fail('has an invalid frame magic number');
        }
        return;
      }
      case 'skipSize': {
        const size = le(f);
        this.frames++;
        if (size === 0) this.expect('magic', 4);
        else this.expect('skipData', size);
        return;
      }
      case 'fhd': {
        const fhd = f[0] as number;
        if (fhd & 0x08) this.fail('frame header has its reserved bit set');
        this.fhd = fhd;
        this.checksum = (fhd & 0x04) !== 0;
        const single = (fhd & 0x20) !== 0;
        const fcsFlag = fhd >> 6;
        const dictLen = [0, 1, 2, 4][fhd & 3] as number;
        const fcsLen = [single ? 1 : 0, 2, 4, 8][fcsFlag] as number;
        // Never empty: a window descriptor or (single segment) at least one size byte.
        this.expect('headerRest', (single ? 0 : 1) + dictLen + fcsLen);
        return;
      }
      case 'headerRest': {
        const single = (this.fhd & 0x20) !== 0;
        if (single) {
          const fcsFlag = this.fhd >> 6;
          const fcsLen = [1, 2, 4, 8][fcsFlag] as number;
          const fcsBytes = f.slice(f.length - fcsLen);
          let fcs = le(fcsBytes);
          if (fcsLen === 2) fcs += 256;
          if (
            fcsLen === 8 &&
            (fcsBytes[4] !== 0 || fcsBytes[5] !== 0 || fcsBytes[6] !== 0 || fcsBytes[7] !== 0)
          ) {
            this.fail('declares a content size over 4 GiB in a single segment');
          }
          this.window = fcs;
        } else {
          const wd = f[0] as number;
          const windowLog = 10 + (wd >> 3);
          if (windowLog > 27) this.window = Infinity;
          else {
            const base = 2 ** windowLog;
            this.window = base + (base / 8) * (wd & 7);
          }
        }
        if (this.window > ZSTD_MAX_WINDOW) {
          this.fail(`needs a ${this.window} byte window, more than the ${ZSTD_MAX_WINDOW} allowed`);
        }
        this.expect('blockHeader', 3);
        return;
      }
      case 'blockHeader': {
        const h = le(f);
        this.lastBlock = (h & 1) === 1;
        const type = (h >> 1) & 3;
        const size = h >>> 3;
        const maxBlock = Math.min(Math.max(this.window, 1), MAX_BLOCK);
        if (type === 3) this.fail('has a reserved block type');
        if (size > maxBlock) this.fail(`has a ${size} byte block, over the ${maxBlock} allowed`);
        const stored = type === 1 ? 1 : size;
        if (stored === 0) this.afterBlock();
        else this.expect('blockData', stored);
        return;
      }
      case 'checksum':
        this.endFrame();
        return;
      default:
        return;
    }
  }
}

function le(bytes: readonly number[]): number {
  let v = 0;
  for (let i = Math.min(bytes.length, 4) - 1; i >= 0; i--) v = v * 256 + (bytes[i] as number);
  return v;
}
