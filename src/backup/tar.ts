import type { Writable } from 'node:stream';

/**
 * The subset of POSIX ustar a backup needs: regular files with names under 100 bytes, sizes
 * under 8 GiB. Written and read as streams, an entry's body a piece at a time, so a 70 MB blob
 * never sits whole in memory; any `tar` lists and extracts the result.
 */
const BLOCK = 512;
const MAX_SIZE = 8 ** 11 - 1;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length >= 100) throw new Error(`tar entry name too long: ${name}`);
  if (size > MAX_SIZE) throw new Error(`tar entry too large: ${name} (${size} bytes)`);
  const h = Buffer.alloc(BLOCK);
  nameBytes.copy(h, 0);
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(Date.now() / 1000), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** Writes entries one after another into `out`, waiting for it to drain (backpressure). */
export class TarWriter {
  constructor(private readonly out: Writable) {}

  private async write(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return;
    if (!this.out.write(bytes))
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        this.out.once('error', onError);
        this.out.once('drain', () => {
          this.out.off('error', onError);
          resolve();
        });
      });
  }

  /** One file; `body` must yield exactly `size` bytes (checked: a blob that changed is an error). */
  async entry(name: string, size: number, body: Buffer | AsyncIterable<Buffer>): Promise<void> {
    await this.write(header(name, size));
    let written = 0;
    for await (const piece of Buffer.isBuffer(body) ? [body] : body) {
      written += piece.length;
      if (written > size) throw new Error(`tar entry ${name} is longer than its ${size} bytes`);
      await this.write(piece);
    }
    if (written !== size) throw new Error(`tar entry ${name} has ${written} bytes, not ${size}`);
    await this.write(padding(size));
  }

  /** The two zero blocks that end an archive. */
  async finish(): Promise<void> {
    await this.write(Buffer.alloc(2 * BLOCK));
  }
}

/** Exactly-n-byte reads over a stream of buffers of any size. */
class ByteReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Buffer | string>) {}

  private async more(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.source.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    const piece = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    this.pending.push(piece);
    this.pendingBytes += piece.length;
    return true;
  }

  /** The next `n` bytes (n small: a header), or fewer at the end of the stream. */
  async take(n: number): Promise<Buffer> {
    while (this.pendingBytes < n && (await this.more()));
    const all = Buffer.concat(this.pending);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return out;
  }

  /**
   * The next `state.left` bytes as the pieces they arrive in (a body), counting down
   * `state.left`, so what a consumer that stopped early left unread can still be skipped.
   */
  async *pieces(state: { left: number }): AsyncGenerator<Buffer> {
    while (state.left > 0) {
      if (this.pending.length === 0 && !(await this.more())) throw new Error('the backup file ends in the middle of an entry');
      const first = this.pending[0]!;
      const piece = first.length <= state.left ? first : first.subarray(0, state.left);
      if (piece === first) this.pending.shift();
      else this.pending[0] = first.subarray(state.left);
      this.pendingBytes -= piece.length;
      state.left -= piece.length;
      yield piece;
    }
  }
}

export interface TarEntry {
  name: string;
  size: number;
  /** Must be read to its end (or left: the reader skips what is left) before the next entry. */
  body: AsyncGenerator<Buffer>;
}

function parseOctal(field: Buffer): number {
  const text = field.toString('ascii').replace(/\0.*$/s, '').trim();
  if (!/^[0-7]*$/.test(text)) throw new Error(`not a tar file: bad number "${text}"`);
  return text === '' ? 0 : parseInt(text, 8);
}

/** The entries of a tar stream, in order; anything but regular files is refused. */
export async function* readTar(source: AsyncIterable<Buffer | string>): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source[Symbol.asyncIterator]());
  for (;;) {
    const h = await reader.take(BLOCK);
    if (h.length < BLOCK) throw new Error('the backup file is cut short (no end-of-archive blocks)');
    if (h.every((b) => b === 0)) return;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (sum !== parseOctal(h.subarray(148, 156))) throw new Error('not a tar file: header checksum mismatch');
    const type = String.fromCharCode(h[156]!);
    if (type !== '0' && type !== '\0') throw new Error(`unexpected tar entry type "${type}"`);
    const prefix = h.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const base = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseOctal(h.subarray(124, 136));
    const state = { left: size };
    yield { name: prefix ? `${prefix}/${base}` : base, size, body: reader.pieces(state) };
    // Whatever the consumer left unread, then the padding.
    for await (const _ of reader.pieces(state)) void _;
    await reader.take(padding(size).length);
  }
}
