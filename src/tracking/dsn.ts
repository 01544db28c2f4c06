/**
 * Reads RFC 3464 delivery-status fields (`message/delivery-status` parts, or the same fields
 * pasted into a text bounce, as Amazon WorkMail and others do).
 */

export interface DsnRecipient {
  recipient?: string;
  action?: string;
  status?: string;
  diagnostic?: string;
}

export interface DeliveryStatus {
  recipients: DsnRecipient[];
}

/** `5.1.1` out of free text, not out of an IP address or a version number. */
export const enhancedStatus = /(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])/;

function typedValue(value: string): string {
  // "rfc822; user@example.com", "smtp; 550 5.1.1 …": the address or text type goes first
  return value.replace(/^\s*[a-z0-9-]+\s*;\s*/i, '').trim();
}

function unfold(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^[ \t]/.test(line) && lines.length > 0 && lines[lines.length - 1] !== '') {
      lines[lines.length - 1] += ` ${line.trim()}`;
    } else {
      lines.push(line.trimEnd());
    }
  }
  return lines;
}

/** Per-recipient field groups; the per-message group (Reporting-MTA…) carries no Action and is dropped. */
export function parseDeliveryStatus(text: string): DeliveryStatus {
  const recipients: DsnRecipient[] = [];
  let current: Record<string, string> = {};
  const flush = (): void => {
    // Original-Recipient is the address as we sent it; Final-Recipient may be what an alias
    // or forward turned it into, which matches nothing in our records
    const recipient = current['original-recipient'] ?? current['final-recipient'] ?? current['x-actual-recipient'];
    const action = current['action']?.toLowerCase();
    const status = enhancedStatus.exec(current['status'] ?? '')?.[1];
    const diagnostic = current['diagnostic-code'];
    if (recipient !== undefined || action !== undefined || status !== undefined) {
      const entry: DsnRecipient = {};
      if (recipient) entry.recipient = typedValue(recipient).replace(/^<|>$/g, '');
      if (action) entry.action = action.split(/[\s(;]/)[0] ?? action;
      if (status) entry.status = status;
      if (diagnostic) entry.diagnostic = typedValue(diagnostic);
      recipients.push(entry);
    }
    current = {};
  };
  for (const line of unfold(text)) {
    if (line.trim() === '') {
      flush();
      continue;
    }
    const match = /^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$/.exec(line);
    if (!match) continue;
    const name = (match[1] ?? '').toLowerCase();
    // A second Final-Recipient without a blank line between starts the next recipient
    if (name === 'final-recipient' && current['final-recipient'] !== undefined) flush();
    if (current[name] === undefined) current[name] = match[2] ?? '';
  }
  flush();
  return { recipients };
}

// RFC 3464 2.3.3 success actions; anything else that is not a delay ("failed", and the
// "expired" some MTAs write) is a failure
const successActions = new Set(['delivered', 'relayed', 'expanded', 'deliverable']);
const delayedActions = new Set(['delayed', 'delay']);

/**
 * The recipient entry that tells the most about a failure: failed before delayed, a 5.x.x
 * status before 4.x.x. Undefined when every entry reports a success (delivered, relayed,
 * expanded): such a DSN is a delivery receipt, not a bounce.
 */
export function worstRecipient(status: DeliveryStatus): DsnRecipient | undefined {
  const rank = (r: DsnRecipient): number => {
    if (r.status?.startsWith('5')) return 3;
    if (r.status?.startsWith('4') || (r.action !== undefined && delayedActions.has(r.action))) return 2;
    if (r.action !== undefined && !successActions.has(r.action)) return 3;
    if (r.action === undefined && r.status === undefined) return 1;
    return 0;
  };
  let best: DsnRecipient | undefined;
  let bestRank = 0;
  for (const r of status.recipients) {
    const value = rank(r);
    if (value > bestRank) {
      best = r;
      bestRank = value;
    }
  }
  return best;
}
