import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parseMessageSync } from '../mail/mime/parseMessage.js';
import { classify, type Classification } from './classify.js';
import { CORPUS_DIR } from '../../test/support/corpus.js';

/**
 * Detection figures on the sisimai corpus, labelled by file name only (see its README):
 * lhost-/rhost-/rfc3464- and err/ are bounces, rfc3834- auto-replies, arf- complaints, not/
 * the negatives. The floors below are what the classifier reaches today; raise them with it.
 */
const corpus = CORPUS_DIR;
const maildir = `${corpus}sisimai-bounces/maildir/`;

type Label = 'bounce' | 'auto_reply' | 'complaint' | 'negative' | 'ambiguous';

function label(folder: string, name: string): Label {
  if (folder === 'not') return name.startsWith('is-not-bounce') ? 'negative' : 'ambiguous';
  if (folder === 'err') return 'bounce';
  if (name.startsWith('rfc3834-')) return 'auto_reply';
  if (name.startsWith('arf-')) return 'complaint';
  return 'bounce';
}

interface Row {
  folder: string;
  name: string;
  label: Label;
  result: Classification;
}

const rows: Row[] = [];
for (const folder of ['bsd', 'dos', 'mac', 'err', 'not']) {
  for (const name of readdirSync(maildir + folder)
    .filter((n) => n.endsWith('.eml'))
    .sort()) {
    rows.push({ folder, name, label: label(folder, name), result: classify(parseMessageSync(readFileSync(`${maildir}${folder}/${name}`))) });
  }
}

function share(selected: Row[], kind: Classification['kind']): { hit: number; total: number; ratio: number } {
  const hit = selected.filter((r) => r.result.kind === kind).length;
  return { hit, total: selected.length, ratio: selected.length === 0 ? 0 : hit / selected.length };
}

const pct = (s: { hit: number; total: number; ratio: number }): string => `${s.hit}/${s.total} (${(s.ratio * 100).toFixed(1)}%)`;

describe('classify on the sisimai corpus', () => {
  test('bounces are detected as bounces', (t) => {
    const bsd = share(
      rows.filter((r) => r.folder === 'bsd' && r.label === 'bounce'),
      'bounce',
    );
    const all = share(
      rows.filter((r) => r.label === 'bounce'),
      'bounce',
    );
    t.diagnostic(`bounces detected: bsd ${pct(bsd)}, all folders ${pct(all)}`);
    assert.ok(bsd.ratio >= 0.99, pct(bsd));
    assert.ok(all.ratio >= 0.99, pct(all));
    // The misses are not delivery failures: Amazon SNS complaint/delivery notices, fml list replies
    const missed = rows.filter((r) => r.label === 'bounce' && r.result.kind !== 'bounce').map((r) => r.name);
    assert.deepEqual(missed, [
      'lhost-amazonses-11.eml',
      'lhost-amazonses-12.eml',
      'lhost-amazonses-13.eml',
      'lhost-fml-02.eml',
      'lhost-fml-03.eml',
      'rfc3464-28.eml',
    ]);
  });

  test('RFC 3834 auto-replies are detected as auto-replies, none as bounces', (t) => {
    const auto = share(
      rows.filter((r) => r.label === 'auto_reply'),
      'auto_reply',
    );
    t.diagnostic(`auto-replies detected: ${pct(auto)}`);
    assert.equal(auto.ratio, 1, pct(auto));
  });

  test('complaints (ARF) are never mistaken for replies or bounces', (t) => {
    const arf = share(
      rows.filter((r) => r.label === 'complaint'),
      'auto_reply',
    );
    t.diagnostic(`complaints classified auto_reply: ${pct(arf)}`);
    assert.equal(arf.ratio, 1, pct(arf));
  });

  test('no false positive on the negatives', (t) => {
    const negatives = rows.filter((r) => r.label === 'negative');
    const flagged = negatives.filter((r) => r.result.kind !== 'normal');
    t.diagnostic(`false positives on non-bounce negatives: ${flagged.length} of ${negatives.length}`);
    assert.equal(negatives.length, 2);
    assert.deepEqual(flagged, []);
  });

  test('the ambiguous mbox bounce notice reads as the bounce it describes', () => {
    const row = rows.find((r) => r.name === 'rb-issue-368-bug.eml');
    assert.equal(row?.result.kind, 'bounce');
  });

  test('status, hardness and recipient on known samples', () => {
    // Original-Recipient wins over Final-Recipient (postfix-01 forwards to another address)
    const get = (name: string): Classification | undefined => rows.find((r) => r.folder === 'bsd' && r.name === name)?.result;
    assert.deepEqual(pick(get('lhost-postfix-01.eml')), { hard: true, status: '5.1.1', recipient: 'kijitora@example.org' });
    assert.deepEqual(pick(get('lhost-gmail-08.eml')), { hard: false, status: undefined, recipient: 'kijitora@example.com' });
    assert.deepEqual(pick(get('lhost-exim-38.eml')), { hard: false, status: undefined, recipient: 'kijitora@example.co.jp' });
    assert.deepEqual(pick(get('lhost-qmail-01.eml')), { hard: true, status: '5.5.0', recipient: 'kijitora@example.ne.jp' });
    assert.deepEqual(pick(get('lhost-exchange2003-01.eml')), { hard: true, status: undefined, recipient: 'kijitora@example.jp' });
  });
});

function pick(result: Classification | undefined): Record<string, unknown> {
  assert.equal(result?.kind, 'bounce');
  const bounce = result as Extract<Classification, { kind: 'bounce' }>;
  return { hard: bounce.hard, status: bounce.status, recipient: bounce.recipient };
}

describe('classify on human replies (talon)', () => {
  test('every client reply is normal', () => {
    const dir = `${corpus}talon/standard_replies/`;
    const files = readdirSync(dir).filter((n) => n.endsWith('.eml'));
    assert.equal(files.length, 12);
    for (const name of [...files.map((n) => dir + n), `${corpus}talon/reply-quotations-share-block.eml`]) {
      assert.deepEqual(classify(parseMessageSync(readFileSync(name))), { kind: 'normal' }, name);
    }
  });
});
