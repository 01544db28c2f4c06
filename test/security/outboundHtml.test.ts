/**
 * Outbound HTML written by members (issue 13, finding 11): hostile markup posted through the API
 * — in a send, in a template's output (preview, send, a sent draft) — is cut to the display policy
 * (src/mail/sanitizeHtml.ts) before it is stored, returned or sent, while ordinary formatting
 * survives. Against the real `mailtrail start` process.
 *
 * Run: npm test -- test/security/outboundHtml
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { startLive, type Live } from './liveServer.js';

const ORDINARY = [
  '<p>Hello <b>bold</b> and <i>slanted</i>, see <a href="https://example.org/doc">the doc</a>.</p>',
  '<ul><li>first item</li></ul><ol><li>second item</li></ol>',
  '<table><tbody><tr><td>a cell</td></tr></tbody></table>',
  '<img src="cid:logo@mailtrail.test" alt="our logo">',
  '<p style="color: red">red words</p>',
].join('\n');

const HOSTILE = [
  '<script>alert("script")</script>',
  '<img src="x.png" onerror="alert(\'onerror\')">',
  '<a href="https://example.org/ok" onclick="alert(\'onclick\')">clicky</a>',
  '<a href="javascript:alert(\'jsurl\')">jsurl</a>',
  '<a href=" JaVaScRiPt:alert(\'jsurl2\')">jsurl2</a>',
  '<p style="width: expression(alert(\'expr\')); color: blue">expr</p>',
  '<p style="height: expression(alert(1)); color: green">expr2</p>',
  '<div style="background-image: url(javascript:alert(\'bg\'))">bg</div>',
  '<iframe src="https://evil.test/frame"></iframe>',
  '<form action="https://evil.test/steal"><input name="password"><button>go</button></form>',
  '<svg onload="alert(\'svg\')"><circle r="1"/></svg>',
  '<object data="https://evil.test/o"></object><embed src="https://evil.test/e">',
  '<meta http-equiv="refresh" content="0;url=https://evil.test/">',
  '<base href="https://evil.test/"><link rel="stylesheet" href="https://evil.test/x.css"><style>body{display:none}</style>',
  '<body onload="alert(\'body\')">',
].join('\n');

const BODY = `${ORDINARY}\n${HOSTILE}`;

/** None of the hostile markup is left. */
function assertClean(html: string, where: string): void {
  for (const bad of [/<script/i, /<iframe/i, /<form/i, /<input/i, /<button/i, /<svg/i, /<object/i, /<embed/i, /<meta/i, /<base/i, /<link/i, /<style/i]) {
    assert.doesNotMatch(html, bad, `${where}: ${bad}`);
  }
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${where}: an on* handler`);
  assert.doesNotMatch(html, /javascript:/i, `${where}: a javascript: URL`);
  assert.doesNotMatch(html, /expression\s*\(/i, `${where}: a style expression`);
  assert.doesNotMatch(html, /url\s*\(/i, `${where}: a CSS url()`);
  assert.doesNotMatch(html, /evil\.test/i, `${where}: an address of the attacker's`);
  assert.doesNotMatch(html, /alert\(/i, `${where}: script text`);
}

/** Ordinary formatting is all still there. */
function assertFormatted(html: string, where: string): void {
  for (const good of [
    /<b>bold<\/b>/,
    /<i>slanted<\/i>/,
    /<a href="https:\/\/example\.org\/doc"[^>]*>the doc<\/a>/,
    /<ul><li>first item<\/li><\/ul>/,
    /<ol><li>second item<\/li><\/ol>/,
    /<table><tbody><tr><td>a cell<\/td><\/tr><\/tbody><\/table>/,
    /<img alt="our logo" src="cid:logo@mailtrail\.test" \/>/,
    /<p style="color:\s*red">red words<\/p>/,
    /<a href="https:\/\/example\.org\/ok"[^>]*>clicky<\/a>/,
  ]) {
    assert.match(html, good, `${where}: ${good}`);
  }
}

describe('member-written outbound HTML is sanitised on the server', () => {
  let live: Live;
  const cleanups: (() => Promise<void> | void)[] = [];
  let dana: string;
  let defectId: string;

  before(async () => {
    live = await startLive({ after: (fn: () => Promise<void> | void) => void cleanups.push(fn) });
    dana = await live.signIn('dana');
    const defects = await live.api<{ records: { id: string }[] }>('GET', '/api/v1/projects/DEMO/records?type=defect', { token: dana });
    defectId = defects.body.records[0]!.id;
    const created = await live.api('POST', '/api/v1/projects/DEMO/email-templates', {
      token: live.admin,
      body: { name: 'hostile', subject: 'About {{ record.title }}', text: 'Plain {{ record.title }}', html: `<p>{{ record.title }}</p>\n${BODY}` },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  /** The stored email as the thread returns it, and the HTML part of the exact bytes that were sent. */
  async function storedAndSent(emailId: string): Promise<{ stored: string; sent: string }> {
    const thread = await live.api<{ emails: { id: string; html?: string }[] }>('GET', `/api/v1/projects/DEMO/records/${defectId}/emails`, { token: dana });
    const stored = thread.body.emails.find((e) => e.id === emailId)?.html;
    assert.ok(stored, 'the stored email has HTML');
    const raw = await fetch(`${live.base}/api/v1/emails/${emailId}/raw`, { headers: { authorization: `Bearer ${dana}` } });
    assert.equal(raw.status, 200);
    const parsed = await simpleParser(Buffer.from(await raw.arrayBuffer()));
    assert.ok(typeof parsed.html === 'string', 'the sent message has an HTML part');
    return { stored, sent: parsed.html };
  }

  test('an email sent with hostile html: stored and sent without it, formatting kept', async () => {
    const queued = await live.api<{ id: string }>('POST', `/api/v1/projects/DEMO/records/${defectId}/emails`, {
      token: dana,
      body: { to: ['customer@demo.test'], text: 'See the HTML part.', html: BODY },
    });
    assert.equal(queued.status, 202, JSON.stringify(queued.body));
    const { stored, sent } = await storedAndSent(queued.body.id);
    for (const [where, html] of [
      ['stored', stored],
      ['sent', sent],
    ] as const) {
      assertClean(html, where);
      assertFormatted(html, where);
    }
  });

  test("a template's HTML output: the preview returns it sanitised, and so are the send and a sent draft", async () => {
    const preview = await live.api<{ html: string | null }>('POST', '/api/v1/projects/DEMO/email-templates/preview', {
      token: dana,
      body: { template: 'hostile', recordId: defectId },
    });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assertClean(preview.body.html ?? '', 'stored template preview');
    assertFormatted(preview.body.html ?? '', 'stored template preview');

    const inline = await live.api<{ html: string | null }>('POST', '/api/v1/projects/DEMO/email-templates/preview', {
      token: dana,
      body: { subject: 's', text: 't', html: BODY, recordId: defectId },
    });
    assert.equal(inline.status, 200, JSON.stringify(inline.body));
    assertClean(inline.body.html ?? '', 'unsaved template preview');
    assertFormatted(inline.body.html ?? '', 'unsaved template preview');

    const queued = await live.api<{ id: string }>('POST', `/api/v1/projects/DEMO/records/${defectId}/emails`, {
      token: dana,
      body: { to: ['customer@demo.test'], template: 'hostile' },
    });
    assert.equal(queued.status, 202, JSON.stringify(queued.body));
    const viaTemplate = await storedAndSent(queued.body.id);

    const draft = await live.api<{ id: string }>('POST', `/api/v1/projects/DEMO/records/${defectId}/drafts`, {
      token: dana,
      body: { to: ['customer@demo.test'], template: 'hostile' },
    });
    assert.equal(draft.status, 201, JSON.stringify(draft.body));
    const sentDraft = await live.api<{ id: string }>('POST', `/api/v1/drafts/${draft.body.id}/send`, { token: dana, body: {} });
    assert.equal(sentDraft.status, 202, JSON.stringify(sentDraft.body));
    const viaDraft = await storedAndSent(sentDraft.body.id);

    for (const [where, html] of [
      ['template send, stored', viaTemplate.stored],
      ['template send, sent', viaTemplate.sent],
      ['sent draft, stored', viaDraft.stored],
      ['sent draft, sent', viaDraft.sent],
    ] as const) {
      assertClean(html, where);
      assertFormatted(html, where);
    }
  });
});
