import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TEMPLATE_LIMITS, TemplateError, checkTemplate, cleanSubject, parseTemplate, renderTemplate, type TemplateProblem } from './render.js';
import { sampleVars } from './vars.js';

function problemOf(fn: () => unknown): TemplateProblem {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TemplateError, `expected a TemplateError, got ${String(err)}`);
    return err.problem;
  }
  assert.fail('expected a TemplateError');
}

describe('parseTemplate', () => {
  test('an unknown filter is an error with its part and line', () => {
    const p = checkTemplate({ subject: 'Hi', text: 'Hello\n\n{{ record.title | nosuchfilter }}' });
    assert.deepEqual(p && { code: p.code, part: p.part, line: p.line }, { code: 'template_invalid', part: 'text', line: 3 });
    assert.match(p?.message ?? '', /nosuchfilter/);
  });

  test('an unclosed tag names the line it opens on', () => {
    const p = checkTemplate({ subject: 'Hi', text: 'ok', html: '<p>\n{% if record.assignee %}\nassigned' });
    assert.equal(p?.part, 'html');
    assert.equal(p?.line, 2);
    assert.match(p?.message ?? '', /not closed/);
    assert.equal(checkTemplate({ subject: '{% if %}', text: 'x' })?.part, 'subject');
  });

  test('include, render and layout cannot read files', () => {
    for (const text of ["{% include 'x' %}", "{% render '/etc/passwd' %}", "{% layout 'base' %}", "{% liquid\ninclude '/etc/passwd' %}"]) {
      const p = checkTemplate({ subject: 'Hi', text });
      assert.equal(p?.code, 'template_invalid', text);
      assert.match(p?.message ?? '', /not available/, text);
    }
  });

  test('oversized parts are refused before parsing', () => {
    const p = checkTemplate({ subject: 'Hi', text: 'x'.repeat(TEMPLATE_LIMITS.bodyChars + 1) });
    assert.equal(p?.part, 'text');
    assert.match(p?.message ?? '', /longer than/);
    assert.equal(checkTemplate({ subject: 'x'.repeat(TEMPLATE_LIMITS.subjectChars + 1), text: 'x' })?.part, 'subject');
  });

  test('valid templates parse; an empty HTML part means no HTML', () => {
    const parsed = parseTemplate({ subject: '{{ record.title }}', text: '{{ email.text }}', html: '' });
    assert.equal(parsed.html, undefined);
    assert.equal(renderTemplate(parsed, sampleVars()).html, undefined);
  });
});

describe('renderTemplate', () => {
  test('HTML escapes variables, text and subject do not', () => {
    const vars = sampleVars();
    vars.record.title = '<script>alert("x")</script> & co';
    const out = renderTemplate({ subject: '{{ record.title }}', text: '{{ record.title }}', html: '<h1>{{ record.title }}</h1>' }, vars);
    assert.equal(out.subject, '<script>alert("x")</script> & co');
    assert.equal(out.text, '<script>alert("x")</script> & co');
    assert.equal(out.html, '<h1>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</h1>');
  });

  test('explicit escaping does not escape twice; newline_to_br escapes first; raw opts out', () => {
    const vars = sampleVars('defect', { description: 'a <b>\nb' });
    const out = renderTemplate(
      {
        subject: 's',
        text: '{{ record.description | newline_to_br }}',
        html: '{{ record.description | escape }}|{{ record.description | newline_to_br }}|{{ record.description | raw }}',
      },
      vars,
    );
    assert.equal(out.html, 'a &lt;b&gt;\nb|a &lt;b&gt;<br />\nb|a <b>\nb');
    assert.equal(out.text, 'a <b><br />\nb', 'the text engine keeps the standard filter');
  });

  test('missing variables render empty; prototypes are out of reach', () => {
    const out = renderTemplate(
      { subject: '[{{ nothing.here }}]', text: '{{ record.constructor }}|{{ record.__proto__.toString }}|{{ record.assignee.fullName }}' },
      sampleVars('defect', { assignee: false }),
    );
    assert.equal(out.subject, '[]');
    assert.equal(out.text, '||');
  });

  test('the subject is one line without control characters', () => {
    const vars = sampleVars();
    vars.record.title = 'Broken\r\nBcc: victim@example.com\t\u0000end';
    const out = renderTemplate({ subject: 'Re: {{ record.title }}\n', text: 'x' }, vars);
    assert.equal(out.subject, 'Re: Broken Bcc: victim@example.com end');
    assert.equal(cleanSubject('a'.repeat(600)).length, TEMPLATE_LIMITS.subjectOutputChars);
  });

  test('text keeps at most one blank line in a row', () => {
    const out = renderTemplate({ subject: 's', text: '\n\nHello\n{% if false %}x{% endif %}\n  \n\n\nBye\n\n' }, sampleVars());
    assert.equal(out.text, 'Hello\n\nBye');
  });

  test('a huge range hits the memory limit at once', () => {
    const p = problemOf(() => renderTemplate({ subject: 's', text: 'ok\n{% for i in (1..100000000) %}{{ i }}{% endfor %}' }, sampleVars()));
    assert.equal(p.part, 'text');
    assert.equal(p.line, 2);
    assert.match(p.message, /memory/);
  });

  test('no filter gets an input big enough to hold the event loop (issue 13, finding 2)', () => {
    for (const text of [
      '{% assign a = (1..2000000) %}{{ a | uniq | sort_natural | size }}',
      '{% assign a = (1..20000) %}{{ a | sort | size }}',
      '{% assign s = "x,x,x,x,x,x,x,x,x,x" | split: "," %}{% for i in (1..11) %}{% assign s = s | concat: s %}{% endfor %}{{ s | join: "," | split: "," | sort_natural | size }}',
    ]) {
      const p = problemOf(() => renderTemplate({ subject: 's', text }, sampleVars()));
      // The range alone may already be over the memory limit; either way no filter runs on it.
      assert.match(p.message, /a filter got more than 10,000 items|too much memory/, text);
    }
    // Everyday sizes pass.
    const ok = renderTemplate({ subject: 's', text: '{% assign a = (1..10000) %}{{ a | uniq | sort_natural | size }}' }, sampleVars());
    assert.equal(ok.text, '10000');
  });

  test('nested loops hit the time limit, not a hang', () => {
    const p = problemOf(() =>
      renderTemplate({ subject: 's', text: '{% for i in (1..100000) %}{% for j in (1..100000) %}{% assign k = j %}{% endfor %}{% endfor %}' }, sampleVars()),
    );
    assert.equal(p.message, `rendering took longer than ${TEMPLATE_LIMITS.renderMs} ms; check the loops in the template`);
  });

  test('output beyond the size limit stops the render', () => {
    const p = problemOf(() =>
      renderTemplate({ subject: 's', text: 'x', html: `{% for i in (1..100000) %}${'0123456789'.repeat(5000)}{% endfor %}` }, sampleVars()),
    );
    assert.equal(p.part, 'html');
    assert.match(p.message, /larger than/);
  });

  test('changes can be listed', () => {
    const out = renderTemplate(
      { subject: 's', text: '{% for c in changes %}{{ c.label }}: {{ c.old | default: "(none)" }} -> {{ c.new }}\n{% endfor %}' },
      sampleVars(),
    );
    assert.equal(out.text, 'Status: Open -> Fixed\nAssigned to: pkhan -> jlee\nDescription: Totals are wrong. -> Totals are off by one cent.');
  });
});
