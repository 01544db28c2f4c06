import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RECORD_TYPES } from '../domain/commands.js';
import { renderTemplate, type RenderedEmail } from './render.js';
import { STANDARD_TEMPLATES } from './standard.js';
import { sampleVars } from './vars.js';

const leftovers = /\{\{|\{%|%\}|\}\}|\[object |undefined|NaN/;

function assertClean(out: RenderedEmail, what: string): void {
  for (const [part, value] of Object.entries(out)) {
    assert.doesNotMatch(value as string, leftovers, `${what}: ${part} has template leftovers`);
  }
  assert.ok(out.subject.length > 0 && !/[\r\n]/.test(out.subject), `${what}: one-line subject`);
  assert.ok(out.text.length > 0, `${what}: text`);
  assert.ok(out.html?.startsWith('<!DOCTYPE html>'), `${what}: html`);
}

describe('standard templates', () => {
  test('the shipped set is complete and every template has a place for the sender’s words', () => {
    const names = STANDARD_TEMPLATES.map((t) => t.name);
    for (const required of ['Record summary', 'Request for information', 'Status update', 'Record assigned', 'Record created', 'Record changed']) {
      assert.ok(names.includes(required), required);
    }
    assert.equal(new Set(names).size, names.length, 'unique names');
    for (const t of STANDARD_TEMPLATES) {
      assert.match(t.text, /\{\{ email\.text \}\}/, t.name);
      assert.match(t.html, /\{\{ email\.text[ |]/, t.name);
      assert.doesNotMatch(t.subject, /record\.tag/, `${t.name}: the sender adds the tag`);
    }
  });

  test('every template renders for every record type, with and without assignee and description', () => {
    for (const t of STANDARD_TEMPLATES) {
      for (const type of RECORD_TYPES) {
        const full = renderTemplate(t, sampleVars(type));
        assertClean(full, `${t.name}/${type}`);
        assert.match(full.text, /Jordan Lee/, `${t.name}/${type}: assignee shown`);
        assert.ok(full.text.includes(sampleVars(type).record.tag), `${t.name}/${type}: tag in the body`);

        const bare = renderTemplate(t, sampleVars(type, { assignee: false, description: '', emailText: '', changes: false }));
        assertClean(bare, `${t.name}/${type} bare`);
        assert.match(bare.text, /Unassigned|no longer assigned/, `${t.name}/${type}: no assignee`);
        assert.doesNotMatch(bare.text, /\n{3}/, `${t.name}/${type}: no runs of blank lines`);
      }
    }
  });

  test('the sender’s message and subject win; record data is escaped in HTML', () => {
    const vars = sampleVars('defect', { emailText: 'Line one <b>\nLine two' });
    vars.email.subject = 'Please look at this';
    vars.record.title = '<img src=x onerror=alert(1)>';
    for (const t of STANDARD_TEMPLATES) {
      const out = renderTemplate(t, vars);
      assert.equal(out.subject, 'Please look at this', t.name);
      assert.ok(out.text.includes('Line one <b>\nLine two'), `${t.name}: text has the message verbatim`);
      assert.ok(out.html?.includes('Line one &lt;b&gt;<br />\nLine two'), `${t.name}: html has the message escaped`);
      assert.ok(!out.html?.includes('<img'), `${t.name}: no markup from the record`);
    }
  });

  test('Record changed lists what changed; Record assigned speaks to the assignee', () => {
    const changed = renderTemplate(
      STANDARD_TEMPLATES.find((t) => t.name === 'Record changed')!,
      sampleVars(),
    );
    assert.match(changed.text, /Status: Open → Fixed/);
    assert.match(changed.html ?? '', /Status: .*Open.*&rarr;.*Fixed/);

    const vars = sampleVars();
    vars.recipient = { name: 'Jordan Lee', email: 'jordan.lee@example.com' };
    const assigned = renderTemplate(
      STANDARD_TEMPLATES.find((t) => t.name === 'Record assigned')!,
      vars,
    );
    assert.match(assigned.subject, /^Assigned to you: /);
    assert.match(assigned.text, /has been assigned to you by Sam Smith/);
  });
});
