import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { clock } from '../clock.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { MAX_ADDRESS_LENGTH, MAX_STORED_MESSAGE_BYTES } from './limits.js';
import { silentLogger, type SandboxLogger } from './logger.js';

export interface StoredMessage {
  /** 26-char time-ordered id; also the POP3 UIDL and the file name (`<id>.eml`). */
  id: string;
  size: number;
  receivedAt: Date;
}

export interface MailboxSummary {
  address: string;
  count: number;
  size: number;
}

export interface MailboxStoreOptions {
  dataDir: string;
  maxMessageBytes?: number;
  logger?: SandboxLogger;
}

const ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const MESSAGE_FILE = /^([0-9a-z]{26})\.eml$/;
const MESSAGE_ID = /^[0-9a-z]{26}$/;
/** Characters kept as they are in a mailbox folder name; everything else is %-encoded. */
const SAFE_NAME_CHAR = /^[a-z0-9@._+-]$/;
const TEMP_DIR = '.tmp';

/**
 * Canonical form of a mailbox address: trimmed and lower-cased (every real provider treats the
 * local part case-insensitively, and the POP3 login must find what SMTP filed). Throws
 * `invalid_address` for anything that is not `local@domain` or that carries path separators
 * or control characters: those never come from a legitimate client and are the usual shape
 * of an attempt to escape the data folder.
 */
export function normalizeAddress(input: string): string {
  const address = input.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  const valid = address.length > 0 && address.length <= MAX_ADDRESS_LENGTH && at > 0 && at < address.length - 1 && !/[\u0000-\u0020\u007f/\\]/.test(address);
  if (!valid) throw badRequest('invalid_address', `"${input.slice(0, 80)}" is not a usable mailbox address.`);
  return address;
}

/**
 * Folder name of a normalized address. Reversible (so `mailboxes()` can report addresses),
 * safe on every filesystem we run on (no `:` `*` `?` `"` `<` `>` `|` for Windows checkouts),
 * and never starting with a dot, which keeps `.tmp` and other internal folders apart.
 */
function folderName(address: string): string {
  let name = '';
  for (const ch of address) {
    if (SAFE_NAME_CHAR.test(ch) && !(name === '' && ch === '.')) name += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) name += `%${byte.toString(16).padStart(2, '0')}`;
  }
  return name;
}

function addressOfFolder(name: string): string | undefined {
  try {
    return normalizeAddress(decodeURIComponent(name));
  } catch {
    return undefined; // a folder someone else put there
  }
}

/** The next id in our alphabet, for two deliveries that would otherwise share a millisecond. */
function successorId(id: string): string {
  const chars = id.split('');
  for (let i = chars.length - 1; i >= 0; i--) {
    const digit = ID_ALPHABET.indexOf(chars[i] ?? '');
    if (digit < ID_ALPHABET.length - 1) {
      chars[i] = ID_ALPHABET[digit + 1] ?? '';
      return chars.join('');
    }
    chars[i] = ID_ALPHABET[0] ?? '';
  }
  throw new Error('message id space exhausted');
}

function timeOfId(id: string): Date {
  let ms = 0;
  for (const ch of id.slice(0, 10)) ms = ms * 32 + ID_ALPHABET.indexOf(ch);
  return new Date(ms);
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('message streams must yield bytes');
}

async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await fh.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Per-address mailboxes on disk: `<dataDir>/sandbox/<address>/<id>.eml`, one raw message per
 * file. A message is written to `<dataDir>/sandbox/.tmp/`, flushed, then renamed into its
 * mailbox, so readers only ever see whole messages and a crash leaves at most a temp file,
 * which `recover()` sweeps. Ids are assigned at that rename, in order, so id order is arrival
 * order even when deliveries overlap.
 */
export class MailboxStore {
  readonly root: string;
  private readonly maxMessageBytes: number;
  private readonly log: SandboxLogger;
  private lastId = '';
  /** Tail of the rename queue of each mailbox folder; see `commit`. */
  private readonly commits = new Map<string, Promise<void>>();

  constructor(options: MailboxStoreOptions) {
    this.root = resolve(options.dataDir, 'sandbox');
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_STORED_MESSAGE_BYTES;
    this.log = options.logger ?? silentLogger;
  }

  /** Removes temp files a crash left behind. Call once at start, before any delivery. */
  async recover(): Promise<void> {
    await rm(join(this.root, TEMP_DIR), { recursive: true, force: true });
    await mkdir(join(this.root, TEMP_DIR), { recursive: true });
  }

  /**
   * A fresh path in the store's temp folder. It is on the same filesystem as the mailboxes,
   * so callers that spool a message first (the SMTP side, for several recipients) can use it
   * and have `recover()` clean up after them too.
   */
  async tempPath(): Promise<string> {
    const dir = join(this.root, TEMP_DIR);
    await mkdir(dir, { recursive: true });
    return join(dir, `${randomBytes(12).toString('hex')}.tmp`);
  }

  async deliver(address: string, raw: Buffer | Readable): Promise<StoredMessage> {
    const dir = this.mailboxDir(address);
    const tmp = await this.tempPath();
    let size = 0;
    try {
      const fh = await open(tmp, 'wx');
      try {
        if (Buffer.isBuffer(raw)) {
          size = raw.length;
          this.checkSize(size);
          await writeAll(fh, raw);
        } else {
          for await (const chunk of raw) {
            const bytes = toBuffer(chunk);
            size += bytes.length;
            this.checkSize(size);
            await writeAll(fh, bytes);
          }
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await mkdir(dir, { recursive: true });
      const id = await this.commit(dir, tmp);
      this.log.debug({ address: normalizeAddress(address), id, size }, 'sandbox message filed');
      return { id, size, receivedAt: timeOfId(id) };
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }

  /** Messages of a mailbox in arrival order; an address that never got mail has none. */
  async list(address: string): Promise<StoredMessage[]> {
    const dir = this.mailboxDir(address);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    const ids = names
      .map((name) => MESSAGE_FILE.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .sort();
    const messages: StoredMessage[] = [];
    for (const id of ids) {
      try {
        const { size } = await stat(join(dir, `${id}.eml`));
        messages.push({ id, size, receivedAt: timeOfId(id) });
      } catch (err) {
        if (!isNotFound(err)) throw err; // removed while we listed: simply not there
      }
    }
    return messages;
  }

  async read(address: string, id: string): Promise<Buffer> {
    try {
      return await readFile(this.messagePath(address, id));
    } catch (err) {
      throw isNotFound(err) ? this.missing(address, id) : err;
    }
  }

  /**
   * A stream of the stored bytes. The file is opened before this resolves, so a missing
   * message fails here (before a caller has promised anything to its client), and a message
   * removed while it is being streamed is still read to the end.
   */
  async createReadStream(address: string, id: string): Promise<Readable> {
    let fh: FileHandle;
    try {
      fh = await open(this.messagePath(address, id), 'r');
    } catch (err) {
      throw isNotFound(err) ? this.missing(address, id) : err;
    }
    return fh.createReadStream();
  }

  /** `false` when the message was already gone, which callers usually need not treat as an error. */
  async remove(address: string, id: string): Promise<boolean> {
    this.mailboxDir(address); // a bad address is still an error, not "already gone"
    if (!MESSAGE_ID.test(id)) return false;
    try {
      await unlink(this.messagePath(address, id));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Every mailbox that has a folder, by address; a mailbox emptied by POP3 stays, with count 0. */
  async mailboxes(): Promise<MailboxSummary[]> {
    let entries;
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    const result: MailboxSummary[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const address = addressOfFolder(entry.name);
      if (address === undefined || folderName(address) !== entry.name) continue;
      const messages = await this.list(address);
      result.push({ address, count: messages.length, size: messages.reduce((sum, m) => sum + m.size, 0) });
    }
    return result.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }

  private mailboxDir(address: string): string {
    const dir = resolve(this.root, folderName(normalizeAddress(address)));
    // folderName cannot produce a separator or "..", this guards against a future edit that could
    if (!dir.startsWith(this.root + sep)) throw badRequest('invalid_address', 'Mailbox address escapes the data folder.');
    return dir;
  }

  private messagePath(address: string, id: string): string {
    if (!MESSAGE_ID.test(id)) throw this.missing(address, id);
    return join(this.mailboxDir(address), `${id}.eml`);
  }

  private missing(address: string, id: string): AppError {
    return notFound('message_not_found', `No message ${id.slice(0, 40)} in mailbox ${address.slice(0, 80)}.`);
  }

  private checkSize(size: number): void {
    if (size > this.maxMessageBytes) {
      throw new AppError('bad_request', 'message_too_large', `Message exceeds the ${this.maxMessageBytes}-byte limit.`, {
        limit: this.maxMessageBytes,
      });
    }
  }

  private nextId(): string {
    let id = newId(clock().now().getTime());
    if (id <= this.lastId) id = successorId(this.lastId);
    this.lastId = id;
    return id;
  }

  /**
   * Names and renames under a per-mailbox queue: if two deliveries took ids first and renamed
   * later, a listing in between could show the later message without the earlier one, and the
   * earlier one would then appear "before" something a client has already seen.
   */
  private async commit(dir: string, tmp: string): Promise<string> {
    let id = '';
    const previous = this.commits.get(dir) ?? Promise.resolve();
    const mine = previous.then(async () => {
      id = this.nextId();
      await rename(tmp, join(dir, `${id}.eml`));
    });
    const tail = mine.catch(() => {});
    this.commits.set(dir, tail);
    try {
      await mine;
    } finally {
      if (this.commits.get(dir) === tail) this.commits.delete(dir);
    }
    return id;
  }
}
