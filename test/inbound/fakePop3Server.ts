import net from 'node:net';

/**
 * A scripted POP3 server on a real socket (as imapflow and nodemailer test their clients),
 * enough for the poller: USER/PASS, UIDL, LIST, RETR, DELE, NOOP, RSET, QUIT. Deletions commit
 * at QUIT only, as RFC 1939 says. `dropDuringRetr` makes the next RETR of that UIDL send half
 * the message and then cut the connection, once.
 */
export interface FakePop3Message {
  uid: string;
  raw: Buffer;
}

export class FakePop3Server {
  readonly messages: FakePop3Message[] = [];
  dropDuringRetr: string | undefined;
  /** RETR of this UIDL answers -ERR (the server cannot deliver that one message). */
  refuseRetr: string | undefined;
  sessions = 0;
  retrs: string[] = [];
  private readonly server = net.createServer((socket) => this.session(socket));
  private readonly sockets = new Set<net.Socket>();

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private session(socket: net.Socket): void {
    this.sessions++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    // The maildrop as this session sees it: numbers fixed at login, as in RFC 1939.
    const drop = [...this.messages];
    const deleted = new Set<number>();
    let buffer = '';
    const send = (line: string) => socket.write(`${line}\r\n`);
    send('+OK fake POP3 ready');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let at: number;
      while ((at = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        const [verb = '', arg] = line.split(' ');
        const n = Number(arg);
        const msg = Number.isInteger(n) && n >= 1 && n <= drop.length && !deleted.has(n) ? drop[n - 1] : undefined;
        switch (verb.toUpperCase()) {
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
          case 'UIDL':
          case 'LIST': {
            const lines = drop.flatMap((m, i) => (deleted.has(i + 1) ? [] : [`${i + 1} ${verb.toUpperCase() === 'UIDL' ? m.uid : m.raw.length}`]));
            socket.write(`+OK\r\n${lines.map((l) => `${l}\r\n`).join('')}.\r\n`);
            break;
          }
          case 'RETR': {
            if (!msg) {
              send('-ERR no such message');
              break;
            }
            this.retrs.push(msg.uid);
            if (this.refuseRetr === msg.uid) {
              send('-ERR [SYS/TEMP] message temporarily unavailable');
              break;
            }
            const body = msg.raw.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
            if (this.dropDuringRetr === msg.uid) {
              this.dropDuringRetr = undefined;
              socket.write(`+OK ${msg.raw.length} octets\r\n${body.slice(0, body.length >> 1)}`, 'latin1', () => socket.destroy());
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
            for (const i of deleted) {
              const gone = drop[i - 1];
              const index = gone ? this.messages.indexOf(gone) : -1;
              if (index >= 0) this.messages.splice(index, 1);
            }
            socket.end('+OK bye\r\n');
            return;
          default:
            send('-ERR unknown command');
        }
      }
    });
  }
}
