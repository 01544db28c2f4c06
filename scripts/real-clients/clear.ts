// Empties the INBOX of each address given (a client's mailbox before a fresh run).
import { deleteAll } from '../../test/harness/mailPeers.js';
for (const a of process.argv.slice(2)) await deleteAll(a);
