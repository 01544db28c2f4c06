import net from 'node:net';

/**
 * A TCP proxy in front of a real server (Dovecot) that can simulate that server restarting
 * without touching the real one, which other tests share: `restart(downMs)` cuts every open
 * connection at once and refuses new ones for `downMs`, then accepts again on the same port.
 * `onClientData` sees what clients send, so a test can restart "at the 10th download".
 */
export class CuttableProxy {
  port = 0;
  restarts = 0;
  onClientData: (chunk: Buffer) => void = () => undefined;
  private server: net.Server | undefined;
  private readonly pairs = new Set<net.Socket>();

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    const server = net.createServer((client) => {
      const upstream = net.connect({ host: this.targetHost, port: this.targetPort });
      for (const s of [client, upstream]) {
        this.pairs.add(s);
        s.on('close', () => this.pairs.delete(s));
        s.on('error', () => undefined);
      }
      client.on('data', (chunk: Buffer) => {
        this.onClientData(chunk);
        if (!client.destroyed) upstream.write(chunk);
      });
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.pairs) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The "server" goes down (all sessions cut mid-whatever) and comes back after `downMs`. */
  restart(downMs: number): Promise<void> {
    this.restarts++;
    const down = this.stop();
    return down.then(() => new Promise((r) => setTimeout(r, downMs))).then(() => this.start().then(() => undefined));
  }
}
