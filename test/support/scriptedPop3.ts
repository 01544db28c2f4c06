import net from 'node:net';

/**
 * The one scripted POP3 server of the tests that need a misbehaving one, on a real socket (as
 * imapflow and nodemailer test their clients): USER/PASS, STAT, UIDL, LIST, RETR, DELE, NOOP,
 * RSET, QUIT, pipelined or not. Deletions commit at QUIT only (RFC 1939). Before answering a
 * command the server asks `hook`, which may let it through, make the server stop answering
 * (`hang`, the moment a test kills the client), send half of a RETR and stop (`half`) or then
 * cut the connection (`cut`), refuse a RETR with -ERR (`refuse`), or cut the connection at once
 * (`drop`). `stop()`/`start()` take the whole server away and bring it back on the same port,
 * like a restart of the mail server. (src/mail/pop3's own tests script raw replies instead.)
 */
export interface Pop3Message {
  uid: string;
  raw: Buffer;
}

export type HookAnswer = 'continue' | 'hang' | 'half' | 'cut' | 'refuse' | 'drop';

export interface CommandEvent {
  verb: string;
  /** How many times this verb was sent in this session, this one included. */
  count: number;
  session: number;
  uid?: string;
}

export class ScriptedPop3Server {
  readonly messages: Pop3Message[] = [];
  hook: (e: CommandEvent) => HookAnswer = () => 'continue';
  sessions = 0;
  retrs: string[] = [];
  /** UIDs removed by a QUIT, in order (a UID twice here would be a double delete). */
  removed: string[] = [];
  port = 0;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  async start(port = this.port): Promise<number> {
    const server = net.createServer((socket) => this.session(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** The server goes away: every connection is cut, new ones are refused until start(). */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private session(socket: net.Socket): void {
    const id = ++this.sessions;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const drop = [...this.messages];
    const deleted = new Set<number>();
    const counts = new Map<string, number>();
    let hung = false;
    let buffer = '';
    const send = (line: string) => socket.write(`${line}\r\n`);
    send('+OK scripted POP3 ready');
    socket.on('data', (chunk: Buffer) => {
      if (hung) return;
      buffer += chunk.toString('latin1');
      let at: number;
      while (!hung && (at = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        const [rawVerb = '', arg] = line.split(' ');
        const verb = rawVerb.toUpperCase();
        const n = Number(arg);
        const msg = Number.isInteger(n) && n >= 1 && n <= drop.length && !deleted.has(n) ? drop[n - 1] : undefined;
        const count = (counts.get(verb) ?? 0) + 1;
        counts.set(verb, count);
        const answer = this.hook({ verb, count, session: id, ...(msg ? { uid: msg.uid } : {}) });
        if (answer === 'drop') {
          socket.destroy();
          return;
        }
        if (answer === 'hang') {
          hung = true;
          // A QUIT the client never hears back from still commits on the server side.
          if (verb === 'QUIT') this.commit(drop, deleted);
          return;
        }
        switch (verb) {
          case 'CAPA':
            socket.write('+OK\r\nUSER\r\nUIDL\r\n.\r\n');
            break;
          case 'USER':
          case 'PASS':
          case 'NOOP':
            send('+OK');
            break;
          case 'RSET':
            deleted.clear();
            send('+OK');
            break;
          case 'STAT':
            send(`+OK ${drop.length - deleted.size} ${drop.reduce((s, m, i) => s + (deleted.has(i + 1) ? 0 : m.raw.length), 0)}`);
            break;
          case 'UIDL':
          case 'LIST': {
            const lines = drop.flatMap((m, i) => (deleted.has(i + 1) ? [] : [`${i + 1} ${verb === 'UIDL' ? m.uid : m.raw.length}`]));
            socket.write(`+OK\r\n${lines.map((l) => `${l}\r\n`).join('')}.\r\n`);
            break;
          }
          case 'RETR': {
            if (!msg) {
              send('-ERR no such message');
              break;
            }
            this.retrs.push(msg.uid);
            if (answer === 'refuse') {
              send('-ERR [SYS/TEMP] message temporarily unavailable');
              break;
            }
            const body = msg.raw.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
            if (answer === 'half' || answer === 'cut') {
              hung = true;
              socket.write(`+OK ${msg.raw.length} octets\r\n${body.slice(0, body.length >> 1)}`, 'latin1', () => {
                if (answer === 'cut') socket.destroy();
              });
              return;
            }
            socket.write(`+OK ${msg.raw.length} octets\r\n${body}${body.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1');
            break;
          }
          case 'DELE':
            if (!msg) send('-ERR no such message');
            else {
              deleted.add(n);
              send('+OK marked');
            }
            break;
          case 'QUIT':
            this.commit(drop, deleted);
            socket.end('+OK bye\r\n');
            return;
          default:
            send('-ERR unknown command');
        }
      }
    });
  }

  private commit(drop: Pop3Message[], deleted: Set<number>): void {
    for (const i of deleted) {
      const gone = drop[i - 1];
      const index = gone ? this.messages.indexOf(gone) : -1;
      if (index >= 0) {
        this.messages.splice(index, 1);
        this.removed.push(gone!.uid);
      }
    }
  }
}
