/**
 * The Node fallback SMTP sink (when Postfix's smtp-sink is not installed): accepts every
 * message and throws it away, in its own process. Usage: tsx bench/sinkProcess.ts PORT
 */
import { SMTPServer } from 'smtp-server';

const port = Number(process.argv[2]);
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  size: 0,
  onData(stream, _session, cb) {
    stream.on('data', () => undefined);
    stream.on('end', () => cb());
  },
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
