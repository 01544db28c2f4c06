import { Context, Liquid, LiquidError, Tag, Drop, toValueSync, type Emitter, type TagToken, type Template, type TopLevelToken } from 'liquidjs';

/**
 * Email templates are Liquid, edited by project administrators and rendered on the server with
 * data from records and users. This module is pure (no database): it parses and renders one
 * template with the variables it is given, inside a sandbox:
 *
 * - no file access: `include`, `render` and `layout` are replaced by tags that refuse to parse,
 *   and the engine looks templates up in an empty in-memory map, never on disk;
 * - unknown filters are errors when the template is saved (strictFilters), unknown variables
 *   render empty (a missing assignee must not break an email);
 * - the HTML part escapes every output (`{{ record.title }}` cannot inject markup); the subject
 *   and text parts are plain text and are not escaped;
 * - every limit on untrusted input is in TEMPLATE_LIMITS below.
 */

/** Limits on admin-written templates; every one of them turns into a `template_invalid` error. */
export const TEMPLATE_LIMITS = {
  /** Source size of the text and HTML parts (characters). */
  bodyChars: 100_000,
  /** Source size of the subject part (characters). */
  subjectChars: 2_000,
  /**
   * Wall time for rendering all parts of one email (ms): stops runaway loops. Rendering runs on
   * the event loop, so this is also the longest a template can hold up the server.
   */
  renderMs: 250,
  /**
   * The most array items and characters any one filter call accepts. LiquidJS checks its time
   * limit only between template nodes, never inside a filter: `(1..2000000) | uniq | sort_natural`
   * held the event loop for 2.5 s in one call. An email needs nothing near these sizes.
   */
  filterItems: 10_000,
  filterChars: 2_000_000,
  /**
   * LiquidJS memory units (array elements, string characters created by filters) per email.
   * Small on purpose: building a range of two million items alone took 220 ms of the event loop.
   */
  memory: 300_000,
  /** Rendered size of one part (characters); an email body beyond this is a mistake, not a message. */
  outputChars: 2_000_000,
  /** Rendered subject length; longer subjects are cut with an ellipsis. */
  subjectOutputChars: 500,
} as const;

export type TemplatePart = 'subject' | 'text' | 'html';

export interface TemplateSource {
  subject: string;
  text: string;
  /** Without an HTML part the email is plain text only. */
  html?: string | null | undefined;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html?: string;
}

/** Why a template cannot be used: the part, and the 1-based line and column in that part. */
export interface TemplateProblem {
  code: 'template_invalid';
  part: TemplatePart;
  line: number;
  column: number;
  message: string;
}

export class TemplateError extends Error {
  readonly problem: TemplateProblem;

  constructor(problem: TemplateProblem) {
    super(`${partLabel[problem.part]}, line ${problem.line}: ${problem.message}`);
    this.name = 'TemplateError';
    this.problem = problem;
  }
}

export interface PersonVars {
  username: string;
  fullName: string;
  email: string;
}

export interface ChangeVars {
  field: string;
  /** "Status", "Assigned to", … */
  label: string;
  old: string | null;
  new: string | null;
}

/** Everything a template can read. */
export interface TemplateVars {
  record: {
    id: string;
    tag: string;
    number: number;
    type: string;
    typeLabel: string;
    title: string;
    description: string;
    status: string;
    assignee: PersonVars | null;
    creator: PersonVars;
    /** Relative link into the web client: /projects/KEY/records/ID. */
    url: string;
    createdAt: string;
    updatedAt: string;
    /** urgent | high | normal | low, or empty. */
    priority?: string;
    severity?: string;
    /** Custom field values by key, as one line of text each ({{ record.fields.customer }}). */
    fields?: Record<string, string>;
  };
  project: { key: string; name: string };
  sender: PersonVars;
  /** Who made the change a notification rule reports; null when unknown. */
  actor: PersonVars | null;
  recipient: { name: string; email: string };
  /** What the sender typed: their subject and message, if any. */
  email: { subject: string; text: string };
  changes: ChangeVars[];
}

/** A template whose parts have parsed; render it as often as needed. */
export interface ParsedTemplate {
  readonly subject: Template[];
  readonly text: Template[];
  readonly html: Template[] | undefined;
}

const partLabel: Record<TemplatePart, string> = { subject: 'Subject', text: 'Text', html: 'HTML' };

/** Replaces tags that would read other templates from disk; they fail when the template is parsed. */
class UnavailableTag extends Tag {
  constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) {
    super(token, remainTokens, liquid);
    throw new Error(`the {% ${token.name} %} tag is not available in email templates (templates cannot load other files)`);
  }

  render(): void {
    /* never reached: the constructor throws */
  }
}

/** HTML that is already safe: the HTML engine does not escape it again. */
class SafeHtml extends Drop {
  constructor(readonly html: string) {
    super();
  }

  override valueOf(): string {
    return this.html;
  }

  override toString(): string {
    return this.html;
  }
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => htmlEscapes[c]!);
}

/** How Liquid turns a value into output text. */
function stringify(value: unknown): string {
  if (value instanceof Drop) value = value.valueOf();
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(stringify).join('');
  return String(value);
}

function toSafeHtml(value: unknown): SafeHtml {
  return value instanceof SafeHtml ? value : new SafeHtml(escapeHtml(stringify(value)));
}

function createEngine(kind: 'plain' | 'html'): Liquid {
  const engine = new Liquid({
    // An empty in-memory file system: nothing is ever read from disk.
    templates: {},
    relativeReference: false,
    dynamicPartials: false,
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    parseLimit: TEMPLATE_LIMITS.bodyChars,
    renderLimit: TEMPLATE_LIMITS.renderMs,
    memoryLimit: TEMPLATE_LIMITS.memory,
    timezoneOffset: 0,
    ...(kind === 'html' ? { outputEscape: (value: unknown) => toSafeHtml(value).html } : {}),
  });
  for (const name of ['include', 'render', 'layout']) engine.registerTag(name, UnavailableTag);
  if (kind === 'html') {
    // In the auto-escaping engine, explicit escaping must not escape twice, and line breaks
    // become <br> in escaped text instead of escaped "&lt;br /&gt;".
    const escapeOnce = (value: unknown) => toSafeHtml(value);
    engine.registerFilter('escape', escapeOnce);
    engine.registerFilter('xml_escape', escapeOnce);
    engine.registerFilter('escape_once', (value: unknown) => (value instanceof SafeHtml ? value : new SafeHtml(escapeHtml(unescapeHtml(stringify(value))))));
    engine.registerFilter('newline_to_br', (value: unknown) => new SafeHtml(toSafeHtml(value).html.replace(/\r?\n/g, '<br />\n')));
  }
  boundFilterInputs(engine);
  return engine;
}

const FILTER_LIMIT = 'filter input limit exceeded';

function checkFilterInput(value: unknown): void {
  if (Array.isArray(value) && value.length > TEMPLATE_LIMITS.filterItems) throw new Error(FILTER_LIMIT);
  if (typeof value === 'string' && value.length > TEMPLATE_LIMITS.filterChars) throw new Error(FILTER_LIMIT);
}

/** Wraps every filter (built-in and ours) so its input and arguments are checked against the limits first. */
function boundFilterInputs(engine: Liquid): void {
  for (const [name, impl] of Object.entries(engine.filters)) {
    const options = typeof impl === 'function' ? { handler: impl } : impl;
    const handler = options.handler;
    function bounded(this: unknown, value: unknown, ...args: unknown[]): unknown {
      checkFilterInput(value);
      for (const arg of args) checkFilterInput(arg);
      return (handler as (...a: unknown[]) => unknown).call(this, value, ...args);
    }
    engine.registerFilter(name, { raw: false, ...options, handler: bounded as typeof handler });
  }
}

function unescapeHtml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#34|#39);/g, (m) => ({ '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#34;': '"', '&#39;': "'" })[m]!);
}

const plainEngine = createEngine('plain');
const htmlEngine = createEngine('html');

function engineFor(part: TemplatePart): Liquid {
  return part === 'html' ? htmlEngine : plainEngine;
}

/** Collects one part's output and stops the render as soon as it grows past the limit. */
class BoundedEmitter implements Emitter {
  buffer = '';

  write(html: unknown): void {
    const s = stringify(html);
    if (this.buffer.length + s.length > TEMPLATE_LIMITS.outputChars) throw new Error(OUTPUT_LIMIT);
    this.buffer += s;
  }
}

const OUTPUT_LIMIT = 'output limit exceeded';

/** LiquidJS messages end with ", line:2, col:5"; we report the position separately. */
function cleanMessage(message: string): string {
  return message.replace(/, (?:file:\S+, )?line:\d+, col:\d+$/, '').trim();
}

function friendlyRenderMessage(part: TemplatePart, message: string): string {
  if (message.includes('template render limit exceeded')) {
    return `rendering took longer than ${TEMPLATE_LIMITS.renderMs} ms; check the loops in the template`;
  }
  if (message.includes('memory alloc limit exceeded')) {
    return 'rendering needs too much memory; a loop, range or filter works on too much data';
  }
  if (message.includes(FILTER_LIMIT)) {
    return `a filter got more than ${TEMPLATE_LIMITS.filterItems.toLocaleString('en-US')} items or ${TEMPLATE_LIMITS.filterChars.toLocaleString('en-US')} characters`;
  }
  if (message.includes(OUTPUT_LIMIT) || message.includes('Invalid string length')) {
    return `the rendered ${partLabel[part].toLowerCase()} part is larger than ${TEMPLATE_LIMITS.outputChars.toLocaleString('en-US')} characters`;
  }
  return message;
}

function problemFrom(part: TemplatePart, err: unknown, rendering: boolean): TemplateProblem {
  if (err instanceof TemplateError) return err.problem;
  let line = 1;
  let column = 1;
  let message = err instanceof Error ? err.message : String(err);
  if (LiquidError.is(err)) {
    const position = err.token?.getPosition();
    if (position) [line = 1, column = 1] = position;
    message = err.originalError?.message ?? cleanMessage(err.message);
  }
  message = cleanMessage(message).replace(/^undefined filter: (.+)$/, 'unknown filter "$1"');
  if (rendering) message = friendlyRenderMessage(part, message);
  return { code: 'template_invalid', part, line, column, message };
}

function parsePart(part: TemplatePart, source: string): Template[] {
  const max = part === 'subject' ? TEMPLATE_LIMITS.subjectChars : TEMPLATE_LIMITS.bodyChars;
  if (source.length > max) {
    throw new TemplateError({
      code: 'template_invalid',
      part,
      line: 1,
      column: 1,
      message: `the ${partLabel[part].toLowerCase()} part is longer than ${max.toLocaleString('en-US')} characters`,
    });
  }
  try {
    return engineFor(part).parse(source);
  } catch (err) {
    throw new TemplateError(problemFrom(part, err, false));
  }
}

/** Parses every part; throws TemplateError naming the first part and line that does not parse. */
export function parseTemplate(t: TemplateSource): ParsedTemplate {
  return {
    subject: parsePart('subject', t.subject),
    text: parsePart('text', t.text),
    html: t.html === undefined || t.html === null || t.html === '' ? undefined : parsePart('html', t.html),
  };
}

/** The first problem of a template, or null when it parses. */
export function checkTemplate(t: TemplateSource): TemplateProblem | null {
  try {
    parseTemplate(t);
    return null;
  } catch (err) {
    if (err instanceof TemplateError) return err.problem;
    throw err;
  }
}

function isParsed(t: TemplateSource | ParsedTemplate): t is ParsedTemplate {
  return Array.isArray((t as ParsedTemplate).subject);
}

/** One line, no control characters: a rendered subject can never smuggle in another header. */
export function cleanSubject(subject: string): string {
  const flat = subject
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  const max = TEMPLATE_LIMITS.subjectOutputChars;
  return flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat;
}

/** Tags on lines of their own leave blank lines behind; a plain-text email keeps at most one. */
function tidyText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\n[ \t]+(?=\n)/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+/, '')
    .trimEnd();
}

/**
 * Renders every part with the same time and memory budget. Throws TemplateError when a part
 * does not parse or its rendering breaks a limit.
 */
export function renderTemplate(t: TemplateSource | ParsedTemplate, vars: TemplateVars): RenderedEmail {
  const parsed = isParsed(t) ? t : parseTemplate(t);
  let shared: Context | undefined;
  const renderPart = (part: TemplatePart, templates: Template[]): string => {
    const engine = engineFor(part);
    const ctx: Context = new Context(
      vars,
      engine.options,
      { sync: true },
      shared ? { memoryLimit: shared.memoryLimit, renderLimit: shared.renderLimit, liquid: engine } : { liquid: engine },
    );
    shared ??= ctx;
    const emitter = new BoundedEmitter();
    try {
      toValueSync(engine.renderer.renderTemplates(templates, ctx, emitter));
    } catch (err) {
      throw new TemplateError(problemFrom(part, err, true));
    }
    return emitter.buffer;
  };
  const subject = cleanSubject(renderPart('subject', parsed.subject));
  const text = tidyText(renderPart('text', parsed.text));
  if (!parsed.html) return { subject, text };
  return { subject, text, html: renderPart('html', parsed.html) };
}
