// Line classifiers ported from Discourse's email_reply_trimmer (MIT): empty_line_matcher,
// delimiter_matcher, signature_matcher, embedded_email_matcher, email_header_matcher and
// quote_matcher. Each pattern keeps upstream's meaning; where upstream relies on backtracking
// that is quadratic or worse, the same language is recognised by a linear check instead, and
// the comment says so. See regexParts.ts for the Ruby/JS regex differences.

import { MAX_CLASSIFIED_LINE_CHARS } from './limits.js';
import { ASCII_SPACE as S, BLANK as BL, BOUNDARY as B, LINE_END as L1, LINE_START as L0, SPACE, WORD_CHAR } from './regexParts.js';

/** One letter per line kind, as upstream spells its pattern string. */
export type LineKind =
  | 'd' // delimiter: "--", "____", "-----" …
  | 'b' // embedded message header: "On … wrote:", "-----Original Message-----" …
  | 'e' // empty
  | 'h' // email header line: "From: …", "Sent: …" …
  | 'q' // quoted: "> …"
  | 's' // mobile signature: "Sent from my iPhone" …
  | 't'; // text

const EMPTY = new RegExp(`^[${BL}]*$`, 'u');
const DELIMITER = new RegExp(`^[${BL}]*[\\-_,=+~#*ᐧ—]+[${BL}]*$`, 'u');
const QUOTE = new RegExp(`^[${BL}]*>`, 'u');

// --- signatures -------------------------------------------------------------------------------

const MARKDOWN_LINK = /\[([^\]\n]+)\]\([^)\n]+\)/g;

const DEVICES = [
  'i?phone',
  'ipad',
  'ipod',
  'android',
  'mobile',
  'cell',
  'smartphone',
  'tablet',
  'galaxy',
  'samsung',
  'blackberry',
  'pixel',
  'huawei',
  'xiaomi',
  'nokia',
  'htc',
  'windows phone',
  'motorola',
  'oneplus',
];

const SIGNATURES: readonly RegExp[] = [
  // Chinese
  new RegExp(`^[${BL}]*從我的 iPhone 傳送`, 'iu'),
  // English
  new RegExp(`^[${BL}]*${WORD_CHAR}+ from mobile`, 'iu'),
  new RegExp(`^[${BL}]*[(<]*Sent (?:from|via|with|by) [^\\n]+`, 'iu'),
  // Upstream accepts "From my" followed by anything, which also eats sentences such as
  // "From my testing, the export fails". We require a device word after it.
  new RegExp(`^[${BL}]*From my (?:${DEVICES.join('|')})`, 'iu'),
  new RegExp(`^[${BL}]*Get Outlook for `, 'iu'),
  // French
  new RegExp(`^[${BL}]*Envoyé depuis (?:mon|Yahoo Mail)`, 'iu'),
  // German
  new RegExp(`^[${BL}]*Von meinem [^\\n]+ gesendet`, 'iu'),
  new RegExp(`^[${BL}]*Diese Nachricht wurde von [^\\n]+ gesendet`, 'iu'),
  // Italian, Norwegian, Portuguese, Spanish, Dutch, Swedish
  new RegExp(`^[${BL}]*(?:Inviato da |Sendt fra min |Enviado do meu |Enviado desde mi |Verzonden met |Verstuurd vanaf mijn |från min )`, 'iu'),
];

export function isSignatureLine(line: string): boolean {
  const head = line.length > MAX_CLASSIFIED_LINE_CHARS ? line.slice(0, MAX_CLASSIFIED_LINE_CHARS) : line;
  const stripped = head.replace(MARKDOWN_LINK, '$1');
  return SIGNATURES.some((r) => r.test(stripped));
}

// --- embedded message headers -------------------------------------------------------------------

const END_PUNCT = `[${BL}.:>\\-]*${L1}`;
const START = `${L0}[${BL}<>\\-]*`;

/** Tempered token: any character up to one of the given words (matched as whole words). */
function upTo(words: string): string {
  return `(?:(?!${B}(?:${words})${B}).)+?`;
}

/**
 * "On <date>, <someone> wrote:" in 10 languages. The `s` flag is Ruby's /m: the header may span
 * lines, which is how preprocess.ts re-joins wrapped headers. The tempered token stops at the next
 * opening or closing word, so a scan never runs past the following header: linear in practice.
 */
export const ON_DATE_SOMEONE_WROTE: readonly RegExp[] = [
  // Chinese
  `${START}在 ${upTo('在|写道')}写道${END_PUNCT}`,
  // Dutch
  `${START}Op ${upTo(`Op|het${S}volgende${S}geschreven|schreef`)}(?:het${S}volgende${S}geschreven|schreef[^:]+)${END_PUNCT}`,
  // English
  `${START}In message ${upTo('In message|writes')}writes${END_PUNCT}`,
  `${START}(?:On|At) ${upTo('On|wrote|writes|says|said')}(?:wrote|writes|says|said)${END_PUNCT}`,
  // French
  `${START}Le ${upTo(`Le|nous${S}a${S}dit|a${S}+écrit`)}(?:nous${S}a${S}dit|a${S}+écrit)${END_PUNCT}`,
  // German
  `${START}Am ${upTo(`Am|schrieben${S}Sie`)}schrieben${S}Sie${END_PUNCT}`,
  `${START}Am ${upTo('Am|geschrieben')}(?:geschrieben|schrieb[^:]+)${END_PUNCT}`,
  // Italian
  `${START}Il ${upTo(`Il|ha${S}scritto`)}ha${S}scritto${END_PUNCT}`,
  // Polish
  `${START}(?:Dnia|Dňa) ${upTo('Dnia|Dňa|napisał')}napisał(?:\\(a\\))?${END_PUNCT}`,
  // Portuguese
  `${START}Em ${upTo('Em|escreveu')}escreveu${END_PUNCT}`,
  // Spanish
  `${START}El ${upTo('El|escribió')}escribió${END_PUNCT}`,
].map((src) => new RegExp(src, 'gisu'));

/** "Op 10 dec. 2015 18:35 schreef "X" <x@y>:", "Am … schrieb …:", "Den … skrev …:". */
const ON_DATE_WROTE_SOMEONE: readonly RegExp[] = [
  ['Op', 'schreef'],
  ['Am', 'schrieb'],
  ['Den', 'skrev'],
  ['søn\\.', 'skrev'],
].map(([on, wrote]) => new RegExp(`^[${BL}>]*${on}${S}[^\\n]+${S}${wrote}${S}[^:]+:`, 'u'));

/**
 * "<date> … пользователь … написал:", "23 mar 2017 … napisał(a):", "30 серп. 2016 р. … пише:".
 * Upstream: /\d{4}.{1,80}\n?.{0,80}?WROTE:/ (with USER after the first gap when given).
 */
export interface DateWroteMarker {
  readonly user: string;
  readonly wrote: string;
  /** The upstream regex, used only at a known start (sticky) with a bounded number of tries. */
  readonly sticky: RegExp;
}

export const DATE_SOMEONE_WROTE: readonly DateWroteMarker[] = [
  { user: 'пользователь', wrote: 'написал:' },
  { user: '', wrote: 'napisał(a):' },
  { user: '', wrote: 'пише:' },
].map(({ user, wrote }) => {
  const w = wrote.replace(/[()]/g, '\\$&');
  const src = user === '' ? `\\d{4}[^\\n]{1,80}\\n?[^\\n]{0,80}?${w}` : `\\d{4}[^\\n]{1,80}${user}[^\\n]{0,80}\\n?[^\\n]{0,80}?${w}`;
  return { user, wrote, sticky: new RegExp(src, 'uy') };
});

/**
 * Within one line, `.{1,80}` followed by `.{0,80}?` is just "1 to 160 characters", so the
 * upstream regex matches a line exactly when a 4-digit run starts 5 to 164 characters before
 * WROTE (and, with USER, USER starts 5 to 84 characters after the digits and WROTE follows
 * USER within 160). Checked with index arithmetic instead of 6,400-step backtracking.
 */
function lineHasDateWrote(line: string, marker: DateWroteMarker): boolean {
  if (!line.includes(marker.wrote)) return false;
  const digitRuns = fourDigitStarts(line);
  if (digitRuns.length === 0) return false;
  const wroteAt = allIndexes(line, marker.wrote);
  if (marker.user === '') {
    return wroteAt.some((w) => anyInRange(digitRuns, w - 164, w - 5));
  }
  const userAt = allIndexes(line, marker.user);
  return userAt.some((u) => anyInRange(digitRuns, u - 84, u - 5) && anyInRange(wroteAt, u + marker.user.length, u + marker.user.length + 160));
}

export function fourDigitStarts(text: string): number[] {
  const starts: number[] = [];
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      run++;
      if (run >= 4) starts.push(i - 3);
    } else {
      run = 0;
    }
  }
  return starts;
}

function allIndexes(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) found.push(i);
  return found;
}

/** Whether the sorted list holds a value in [lo, hi]. */
function anyInRange(sorted: readonly number[], lo: number, hi: number): boolean {
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if ((sorted[mid] as number) < lo) a = mid + 1;
    else b = mid;
  }
  return a < sorted.length && (sorted[a] as number) <= hi;
}

/**
 * "Max <m@x> schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:" — upstream
 * /^.+\bwrote\b[[:space:]]+\bon\b.+[^:]+:/ (and schrieb/am). Its `.+[^:]+:` tail is cubic when no
 * colon follows, and `[^:]` crosses line breaks, so a match may run into the next lines. This
 * finds exactly the match Ruby finds (same start, same end) in linear time: the greedy leading
 * `.+` picks the last usable verb on the line, and the greedy `.+` after the preposition backs
 * off from the end of its line to the first position that still has a colon somewhere after it.
 * Returns the end offset of the match starting at `lineStart`, or -1.
 */
export function matchSomeoneWroteOnDate(text: string, lineStart: number, verb: string, prep: string, lastColon: number = text.lastIndexOf(':')): number {
  if (lastColon === -1) return -1;
  let lineEnd = text.indexOf('\n', lineStart);
  if (lineEnd === -1) lineEnd = text.length;
  const line = text.slice(lineStart, lineEnd);
  const verbs: number[] = [];
  for (let p = line.indexOf(verb, 1); p !== -1; p = line.indexOf(verb, p + 1)) verbs.push(lineStart + p);
  for (let i = verbs.length - 1; i >= 0; i--) {
    const p = verbs[i] as number;
    if (!isBoundary(text, p) || !isBoundary(text, p + verb.length)) continue;
    let q = p + verb.length;
    while (q < text.length && SPACE_RE.test(text[q] as string)) q++;
    if (q === p + verb.length) continue;
    if (!text.startsWith(prep, q) || !isBoundary(text, q + prep.length)) continue;
    const r = q + prep.length;
    let e2 = text.indexOf('\n', r);
    if (e2 === -1) e2 = text.length;
    if (r >= e2) continue;
    for (let k = Math.min(e2, lastColon - 1); k >= r + 1; k--) {
      if (text[k] !== ':') return text.indexOf(':', k + 1) + 1;
    }
  }
  return -1;
}

const SPACE_RE = new RegExp(`^${SPACE}$`, 'u');
const WORD_RE = new RegExp(`^${WORD_CHAR}$`, 'u');

function isWordAt(text: string, index: number): boolean {
  if (index < 0 || index >= text.length) return false;
  const cp = text.codePointAt(index) as number;
  // A low surrogate belongs to the character that starts one unit earlier.
  if (cp >= 0xdc00 && cp <= 0xdfff && index > 0) {
    const prev = text.codePointAt(index - 1) as number;
    if (prev > 0xffff) return WORD_RE.test(String.fromCodePoint(prev));
  }
  return WORD_RE.test(String.fromCodePoint(cp));
}

/** Ruby's Unicode `\b` at a string offset. */
function isBoundary(text: string, index: number): boolean {
  return isWordAt(text, index - 1) !== isWordAt(text, index);
}

export const SOMEONE_WROTE_ON_DATE: readonly (readonly [string, string])[] = [
  ['wrote', 'on'],
  ['schrieb', 'am'],
];

/** "2016-03-03 17:21 GMT+01:00 Some One" */
const ISO_DATE_SOMEONE = new RegExp(`^[${BL}>]*20\\d\\d-\\d\\d-\\d\\d \\d\\d:\\d\\d GMT\\+\\d\\d:\\d\\d [\\w${BL}]+$`, 'u');

/**
 * "2015-10-18 0:17 GMT+03:00 Matt <info@x.org>:", "вт, 5 янв. 2016 г. в 23:39, Erlend <e@x.org>:".
 * The address classes cross line breaks, so it also serves to re-join wrapped headers. Its
 * backtracking is bounded by the 80-character gap times the run up to the next "@<>".
 */
export const DATE_SOMEONE_EMAIL = new RegExp(`\\d{4}[^\\n]{1,80}${S}?<[^@<>]+@[^@<>.]+\\.[^@<>]+>:?${L1}`, 'gu');

/** "codinghorror via Discourse Meta wrote:" / "… schrieb:" */
const SOMEONE_VIA_SOMETHING_WROTE: readonly RegExp[] = ['wrote', 'schrieb'].map((wrote) => new RegExp(`^[^\\n]+ via [^\\n]+ ${wrote}:?[${BL}]*$`, 'u'));
const ENDS_WITH_WROTE = new RegExp(`(?:wrote|schrieb):?[${BL}]*$`, 'u');

/** "Some One <info@discourse.org> wrote:", "Gavin (g@x.com.au) wrote:" */
const SOMEONE_EMAIL_WROTE = new RegExp(`^[^\\n]+${B}[\\w.+\\-]+@[\\w.\\-]+\\.\\w{2,}${B}[^\\n]+wrote:?$`, 'u');
const ENDS_WITH_WROTE_STRICT = /wrote:?$/;

/** "Posted by mpalmer on 01/21/2016" */
const POSTED_BY_SOMEONE_ON_DATE = new RegExp(`^[${BL}>]*Posted by [^\\n]+ on \\d{2}/\\d{2}/\\d{4}$`, 'iu');

/** "Begin forwarded message:", "-----Original Message-----", "------ 原始邮件 ------" … */
const FORWARDED_EMAIL: readonly RegExp[] = [
  `^[${BL}>]*Begin forwarded message:`,
  `^[${BL}>*]*-{2,}[${BL}]*(?:Forwarded|Original|Reply) Message[${BL}]*-{2,}`,
  `^[${BL}>]*Début du message transféré :`,
  `^[${BL}>*]*-{2,}[${BL}]*Message transféré[${BL}]*-{2,}`,
  `^[${BL}>*]*-{2,}[${BL}]*Ursprüngliche Nachricht[${BL}]*-{2,}`,
  `^[${BL}>*]*-{2,}[${BL}]*Mensaje original[${BL}]*-{2,}`,
  `^[${BL}>*]*-{2,}[${BL}]*原始邮件[${BL}]*-{2,}`,
  // mutt/neomutt "----- Forwarded message from Name <addr> -----", and its German form
  `^[${BL}>*]*-{2,}[${BL}]*(?:Forwarded|Original) message from [^\\n]*-{2,}[${BL}]*$`,
  `^[${BL}>*]*-{2,}[${BL}]*Weitergeleitete Nachricht[^\\n]*-{2,}`,
  // Gnus / message-mode "-------------------- Start of forwarded message --------------------"
  `^[${BL}>*]*-{2,}[${BL}]*Start of forwarded message[${BL}]*-{2,}`,
  // aerc's forward template: "Forwarded message from Name <addr> on Wed Dec 2, 2026 at 10:00 AM:"
  `^[${BL}>]*Forwarded message from [^\\n]+:[${BL}]*$`,
  // s-nail and BSD mailx: "-------- Original Message --------" is above; Evolution/Claws:
  `^[${BL}>*]*-{2,}[${BL}]*(?:Forwarded Message|Original Message|Mensagem original|Messaggio originale|Oorspronkelijk bericht|Message d'origine|Исходное сообщение|Пересылаемое сообщение)[${BL}]*-{2,}`,
].map((src) => new RegExp(src, 'iu'));

/**
 * Whether a line introduces an embedded (quoted or forwarded) message. Long lines are checked
 * on a prefix, without the end-anchored patterns (see MAX_CLASSIFIED_LINE_CHARS).
 */
export function isEmbeddedLine(fullLine: string): boolean {
  const long = fullLine.length > MAX_CLASSIFIED_LINE_CHARS;
  const line = long ? fullLine.slice(0, MAX_CLASSIFIED_LINE_CHARS) : fullLine;
  if (FORWARDED_EMAIL.some((r) => r.test(line))) return true;
  if (ON_DATE_WROTE_SOMEONE.some((r) => r.test(line))) return true;
  if (DATE_SOMEONE_WROTE.some((m) => lineHasDateWrote(line, m))) return true;
  if (SOMEONE_WROTE_ON_DATE.some(([verb, prep]) => matchSomeoneWroteOnDate(line, 0, verb, prep) !== -1)) {
    return true;
  }
  if (long) return false;
  if (ON_DATE_SOMEONE_WROTE.some((r) => testFromStart(r, line))) return true;
  if (testFromStart(DATE_SOMEONE_EMAIL, line)) return true;
  if (ISO_DATE_SOMEONE.test(line)) return true;
  if (ENDS_WITH_WROTE.test(line) && SOMEONE_VIA_SOMETHING_WROTE.some((r) => r.test(line))) return true;
  if (ENDS_WITH_WROTE_STRICT.test(line) && line.includes('@') && SOMEONE_EMAIL_WROTE.test(line)) {
    return true;
  }
  return POSTED_BY_SOMEONE_ON_DATE.test(line);
}

/** test() for a global regex, which would otherwise resume from its last match. */
function testFromStart(regex: RegExp, text: string): boolean {
  regex.lastIndex = 0;
  const found = regex.test(text);
  regex.lastIndex = 0;
  return found;
}

// --- email headers ------------------------------------------------------------------------------

const HEADERS_WITH_DATE = [
  'Sendt',
  'Sent',
  'Date',
  'Le',
  'Gesendet',
  'Enviada em',
  'Enviado',
  'Fecha',
  'Data',
  'Datum',
  'Skickat',
  '发送时间',
  // Outlook in Italian, Dutch, Polish, Czech, Russian, Finnish, Japanese, Turkish, Hungarian
  'Inviato',
  'Verzonden',
  'Wysłano',
  'Odesláno',
  'Отправлено',
  'Lähetetty',
  '送信日時',
  'Gönderildi',
  'Elküldve',
];
const HEADERS_WITH_TEXT = [
  'Fra',
  'Til',
  'Emne',
  'From',
  'To',
  'Cc',
  'Reply-To',
  'Subject',
  'De',
  'Expéditeur',
  'À',
  'Destinataire',
  'Répondre à',
  'Objet',
  'Von',
  'An',
  'Betreff',
  'Para',
  'Assunto',
  'Asunto',
  'Da',
  'Risposta',
  'A',
  'Oggetto',
  'Van',
  'Beantwoorden - Aan',
  'Aan',
  'Onderwerp',
  'Från',
  'Till',
  'Ämne',
  '发件人',
  '收件人',
  '主题',
  'Od',
  'Do',
  'Temat',
  'Komu',
  'Předmět',
  'От',
  'Кому',
  'Тема',
  'Копия',
  'Lähettäjä',
  'Vastaanottaja',
  'Aihe',
  '差出人',
  '宛先',
  '件名',
  'Kimden',
  'Kime',
  'Konu',
  'Feladó',
  'Címzett',
  'Tárgy',
];

// Upstream's `:.*\d+` and `:.*[[:word:]]+` only ask for one digit / word character after the
// colon; written that way they need no backtracking.
const HEADER_WITH_DATE = new RegExp(`^[${BL}*]*(?:${HEADERS_WITH_DATE.join('|')})[${BL}*]*:[^\\n]*\\d`, 'u');
const HEADER_WITH_TEXT = new RegExp(`^[${BL}*]*(?:${HEADERS_WITH_TEXT.join('|')})[${BL}*]*:[^\\n]*${WORD_CHAR}`, 'iu');

export function isEmailHeaderLine(fullLine: string): boolean {
  const line = fullLine.length > MAX_CLASSIFIED_LINE_CHARS ? fullLine.slice(0, MAX_CLASSIFIED_LINE_CHARS) : fullLine;
  return HEADER_WITH_DATE.test(line) || HEADER_WITH_TEXT.test(line);
}

// --- classification -----------------------------------------------------------------------------

/** Upstream's identify_line_content, in its order of precedence. */
export function classifyLine(line: string): LineKind {
  if (EMPTY.test(line)) return 'e';
  if (DELIMITER.test(line)) return 'd';
  if (isSignatureLine(line)) return 's';
  if (isEmbeddedLine(line)) return 'b';
  if (isEmailHeaderLine(line)) return 'h';
  if (QUOTE.test(line)) return 'q';
  return 't';
}

export function isQuoteLine(line: string): boolean {
  return QUOTE.test(line);
}

export function isEmptyLine(line: string): boolean {
  return EMPTY.test(line);
}
