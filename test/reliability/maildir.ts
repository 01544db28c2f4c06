import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { peersConfig, sendViaPostfix } from '../harness/mailPeers.js';

/**
 * Fills a Dovecot mailbox of the test peers fast: writes the messages straight into the
 * account's Maildir (as an MDA would: tmp/ then rename into new/), owned by the mail user.
 * That needs root, which CI has; anywhere else it falls back to delivering through Postfix.
 * The Maildir layout comes from scripts/mail-peers.sh (userdb home = MAIL_ROOT/%d/%n,
 * mail_location = maildir:~/Maildir).
 */
const MAIL_ROOT = '/var/lib/mailtrail-peers/mail';

export async function fillMailbox(address: string, messages: Buffer[]): Promise<'maildir' | 'postfix'> {
  const [local, domain] = address.toLowerCase().split('@') as [string, string];
  const domainDir = join(MAIL_ROOT, domain);
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = statSync(domainDir);
    owner = { uid: st.uid, gid: st.gid };
  } catch {
    owner = undefined;
  }
  if (owner && process.getuid?.() === 0) {
    const home = join(domainDir, local);
    const maildir = join(home, 'Maildir');
    for (const dir of [home, maildir, join(maildir, 'tmp'), join(maildir, 'new'), join(maildir, 'cur')]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chownSync(dir, owner.uid, owner.gid);
    }
    const host = hostname().replace(/[/:]/g, '_');
    const base = `${Math.floor(Date.now() / 1000)}.M${process.pid}P${randomBytes(4).toString('hex')}`;
    messages.forEach((raw, i) => {
      const name = `${base}Q${i}.${host}`;
      const tmp = join(maildir, 'tmp', name);
      writeFileSync(tmp, raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
      chownSync(tmp, owner!.uid, owner!.gid);
      renameSync(tmp, join(maildir, 'new', name));
    });
    return 'maildir';
  }
  for (const raw of messages) await sendViaPostfix({ from: `sender@${peersConfig().domain}`, to: address, raw });
  return 'postfix';
}
