import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../errors.js';
import { ImapError, toImapError } from './errors.js';

test('imapflow and socket failures map to one catalogue code each, keeping the server words', () => {
  const auth = toImapError(
    Object.assign(new Error('Command failed'), {
      authenticationFailed: true,
      responseText: 'Authentication failed.',
      executedCommand: 'A1 LOGIN "u" "(* value hidden *)"',
    }),
  );
  assert.equal(auth.code, 'imap_auth_failed');
  assert.equal(auth.response, 'Authentication failed.');
  assert.ok(!auth.message.includes('secret'));
  assert.equal(toImapError(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })).code, 'imap_tls_failed');
  assert.equal(toImapError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).code, 'imap_connect_failed');
  assert.equal(toImapError(Object.assign(new Error('timeout'), { code: 'GREETING_TIMEOUT' })).code, 'imap_timeout');
  assert.equal(toImapError(Object.assign(new Error('closed'), { code: 'NoConnection' })).code, 'imap_connection_lost');
  assert.equal(toImapError(Object.assign(new Error('big'), { code: 'LiteralTooLarge' })).code, 'imap_message_too_large');
  assert.equal(toImapError(Object.assign(new Error('bad'), { code: 'ParserError3' })).code, 'imap_protocol_error');
  const refused = toImapError(Object.assign(new Error('Command failed'), { responseText: 'Mailbox is full' }), 'UID FETCH 7');
  assert.equal(refused.code, 'imap_command_failed');
  assert.equal(refused.command, 'UID FETCH 7');
  // A mail server we cannot talk to is an upstream failure: 503 through the HTTP error handler.
  assert.ok(refused instanceof AppError);
  assert.equal(refused.status, 503);
  const same = new ImapError('imap_timeout', 'x');
  assert.equal(toImapError(same), same);
});
