import type { ParsedMessage } from '../mail/mime/parsedMessage.js';

/**
 * Best-effort reading of bounces that are not RFC 3464 DSNs: qmail, Exim, Postfix and sendmail
 * without DSN, Exchange 2003 and Office 365 text, Lotus Notes/Domino, Yahoo, Gmail's legacy
 * format, Japanese carriers. Two kinds of evidence are weighed: who sent it (the context) and
 * what it says (the phrases); a phrase alone is enough only when no person writes it.
 */

/** Opening lines only MTAs write: each is enough on its own. */
const machinePhrases: RegExp[] = [
  /this is the qmail-send program at/i,
  /i'm afraid i wasn't able to deliver your message/i,
  /this message was created automatically by (?:mail delivery software|the smtp relay|mail delivery system)/i,
  /this is the (?:postfix program|mail system) at host/i,
  /i'm sorry to have to inform you that (?:your|the) message/i,
  /-{3,}\s*the following addresses had (?:permanent fatal errors|delivery problems|permanent delivery errors)/i,
  /transcript of session follows/i,
  /-{3}the following addresses had delivery errors-{3}/i,
  /delivery has failed to these recipients or groups/i,
  /your message (?:couldn't|could not|can't|cannot) be delivered/i,
  /did not reach the following recipient\(?s\)?/i,
  /your message did not reach some or all of the intended recipients/i,
  /delivery to the following recipients? (?:failed|has been delayed)/i,
  /this is an automatically generated delivery status notification/i,
  /sorry, we were unable to deliver your message to the following address/i,
  /unable to deliver (?:the )?message to the following (?:address|recipient)/i,
  /there was an error delivering your mail to/i,
  /an error occurred while trying to deliver the mail to the following recipients/i,
  /an error has occurred while attempting to deliver a message for the following list of recipients/i,
  /a message is delayed for more than \d+ \w+ for the following list of recipients/i,
  /your message to the following recipients cannot be delivered/i,
  /was not delivered to:[\s\S]{0,200}?because:/i,
  /-{3,}\s*failure reasons\s*-{3,}/i,
  /we had trouble delivering your message/i,
  /could not be delivered to mobile/i,
  /message from interscan messaging security suite/i,
  /the following (?:mail|message) could not be delivered/i,
  /your mail message to the following address\(es\) could not be delivered/i,
  /an email that you attempted to send to the following address could not be delivered/i,
  /a message that you (?:have )?sent (?:could not be delivered|has not yet been delivered)/i,
  /your mail sent on:?[\s\S]{0,80}?could not be delivered to/i,
  /the group you tried to contact \([^)]*\) may not exist/i,
  /this report relates to a message you sent with the following header fields/i,
  /your delivery to the following address has been failed/i,
  /message log follows:/i,
  /original message follows\.?\s*$/im,
  // Amazon SES notifications mailed by SNS, the JSON sometimes escaped inside an envelope
  /\\?"notificationType\\?"\s*:\s*\\?"Bounce\\?"/i,
  /次のあて先へのメッセージはエラーのため送信できませんでした/,
  /送信できませんでした/,
  /配信できませんでした/,
  /к сожалению, ваше письмо не может быть доставлено|не удалось доставить/i,
];

/** Phrases a person could also write: they count only from a machine-looking sender. */
const weakPhrases: RegExp[] = [
  /could not be delivered|couldn't be delivered|cannot be delivered|can't be delivered|was not delivered|undeliverable|undelivered/i,
  /delivery (?:has )?failed|failed permanently|permanent (?:fatal )?error|delivery failure/i,
  /user unknown|unknown user|no such user|mailbox (?:is )?(?:full|unavailable)|recipient address rejected|invalid (?:final delivery )?user(?:id)?/i,
  /still being retried|not yet been delivered|delayed/i,
  /returned mail|mail delivery failed|failure notice/i,
];

const bounceSubject =
  /undeliver|undelivered|delivery (?:status notification|failure|failed|has failed|problem|notification)|returned mail|mail delivery (?:failed|failure|system)|failure notice|failed delivery|failure delivery|delivery failure|permanent delivery failure|could not be delivered|not delivered|bounce notification|non[- ]?delivery|nondeliverable|returned to sender|mail system error|mail failure|message delivery has failed|error sending your mail|delayed mail|warning: message .* delayed|could not send (?:mail|message)|mail could not be delivered|メールエラー|配信できません|送信できません|不達|未送達|не доставлено|unzustellbar|non recapitabile|no entregado|non remis|onbestelbaar|kunde inte levereras/i;

const daemonSender = /mailer[-_.]?daemon|mail[-_.]?daemon|post[-_]?master|poostmaster|mail[ .]delivery[ .](?:system|subsystem)|double-bounce/i;

export interface TextBounce {
  hard: boolean;
  status?: string;
  recipient?: string;
  diagnostic?: string;
}

function first(msg: ParsedMessage, name: string): string | undefined {
  return msg.headers.get(name)?.[0]?.trim();
}

/** Signs, outside the body, that a machine sent this. */
function machineContext(msg: ParsedMessage): boolean {
  const from = `${first(msg, 'from') ?? ''} ${msg.from?.address ?? ''}`;
  if (daemonSender.test(from)) return true;
  const returnPath = first(msg, 'return-path');
  if (returnPath !== undefined && (/^<?\s*>?$/.test(returnPath) || daemonSender.test(returnPath))) return true;
  const autoSubmitted = first(msg, 'auto-submitted')?.toLowerCase();
  return autoSubmitted !== undefined && autoSubmitted !== 'no';
}

/** A failure status in free text; 2.x.x is left out, it only ever quotes a success ("250 2.0.0 Ok"). */
const failureStatus = /(?<![\d.])([45]\.\d{1,3}\.\d{1,3})(?![\d.])/;

/** The MTA says it gave up for good, whatever the remote server's code was. */
const permanentWords =
  /this is a permanent error|failed permanently|i've given up|i'm not going to try again|permanent (?:fatal )?errors?\b|permanent delivery failure/i;

const softWords =
  /\b(?:delay(?:ed)?|temporar(?:y|ily)|will (?:continue to )?retry|still (?:being )?(?:retried|trying)|not yet been delivered|deferred|warning message only|mailbox (?:is )?full|over quota|quota exceeded|\\?"bouncetype\\?"\s*:\s*\\?"transient)\b/i;

const smtpReply = /(?<![\d.])([45][0-5]\d)(?:[ -]|$)/m;

function findRecipient(text: string, after: number, exclude: Set<string>): string | undefined {
  const tail = text.slice(after);
  const bracketed = /^\s*<([^<>\s]+@[^<>\s]+)>\s*:?/m.exec(tail);
  if (bracketed?.[1] && !exclude.has(bracketed[1].toLowerCase())) return bracketed[1];
  // Matches start only at the start of a run of address characters; otherwise a long run with
  // no "@" is rescanned from each of its positions (quadratic: a minute for 200 KB of text).
  for (const match of tail.matchAll(/(?<![A-Za-z0-9._%+=-])[A-Za-z0-9._%+=-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g)) {
    if (!exclude.has(match[0].toLowerCase())) return match[0];
  }
  return undefined;
}

// A line that is one header-like field ("Status: 4.4.7", "X-Mailer-Version: 2.0.8") is no diagnostic
const fieldLine = /^[A-Za-z][A-Za-z0-9-]*:\s/;
const smtpLine = /(?<![\d.])[45]\d\d(?:[ -]|$)[^\n]*[A-Za-z]{3}/;

function findDiagnostic(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && line.length <= 500 && (!fieldLine.test(line) || /^diagnostic-code:/i.test(line)));
  return lines.find((line) => smtpLine.test(line)) ?? lines.find((line) => failureStatus.test(line));
}

const anyCode = /(?<![\d.])[45]\d\d(?![\d.])|(?<![\d.])[45]\.\d{1,3}\.\d{1,3}(?![\d.])/;

/** A bounce read from free text, or undefined when the message does not look like one. */
export function readTextBounce(msg: ParsedMessage): TextBounce | undefined {
  const text = msg.text ?? '';
  let evidenceAt = -1;
  for (const phrase of machinePhrases) {
    const match = phrase.exec(text);
    if (match && (evidenceAt < 0 || match.index < evidenceAt)) evidenceAt = match.index;
  }
  const context = machineContext(msg);
  const subjectSays = bounceSubject.test(msg.subject);
  if (evidenceAt >= 0) {
    if (context || subjectSays) return readDetails(msg, text, evidenceAt);
    // No machine sender and no bounce subject: only a bounce relayed without its envelope
    // (it opens the text, unquoted, with an SMTP code); a person quoting one is a reply
    const lineStart = text.lastIndexOf('\n', evidenceAt) + 1;
    const quoted = /^[ \t]*>/.test(text.slice(lineStart, evidenceAt + 1));
    return evidenceAt < 500 && !quoted && anyCode.test(text) ? readDetails(msg, text, evidenceAt) : undefined;
  }
  if (!context) return undefined;
  if (subjectSays || (weakPhrases.some((p) => p.test(text)) && anyCode.test(text))) return readDetails(msg, text, 0);
  return undefined;
}

function readDetails(msg: ParsedMessage, text: string, evidenceAt: number): TextBounce {
  const status = failureStatus.exec(text.slice(evidenceAt))?.[1];
  const exclude = new Set<string>([...(msg.from ? [msg.from.address.toLowerCase()] : []), ...msg.to.map((a) => a.address.toLowerCase())]);
  const recipient = findRecipient(text, evidenceAt, exclude);
  const diagnostic = findDiagnostic(text.slice(evidenceAt));
  let hard: boolean;
  if (permanentWords.test(text)) hard = true;
  else if (status !== undefined) hard = status.startsWith('5');
  else if (softWords.test(`${msg.subject}\n${text}`)) hard = false;
  else {
    const code = smtpReply.exec(diagnostic ?? '')?.[1];
    hard = code === undefined || code.startsWith('5');
  }
  const out: TextBounce = { hard };
  if (status !== undefined) out.status = status;
  if (recipient !== undefined) out.recipient = recipient;
  if (diagnostic !== undefined) out.diagnostic = diagnostic;
  return out;
}
