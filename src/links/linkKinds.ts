/**
 * Kinds of links between records, as Helix ALM users know them. Each is stored once, from the
 * record that does the thing (a defect that blocks, a test case that tests); the other end reads
 * it in the inverse words. "relates to" reads the same from both ends.
 */
export const LINK_KINDS = ['relates', 'blocks', 'duplicates', 'tests', 'createdFrom'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

/** What people (and the API) may ask for, including the inverse forms. */
export const LINK_REQUESTS = ['relates', 'blocks', 'blockedBy', 'duplicates', 'duplicatedBy', 'tests', 'testedBy', 'createdFrom', 'origin'] as const;
export type LinkRequest = (typeof LINK_REQUESTS)[number];

const INVERSE_OF: Partial<Record<LinkRequest, LinkKind>> = { blockedBy: 'blocks', duplicatedBy: 'duplicates', testedBy: 'tests', origin: 'createdFrom' };

/** A requested link as stored: its kind, and whether the asking record is its `from` end. */
export function storedForm(request: LinkRequest): { kind: LinkKind; fromAsker: boolean } {
  const inverse = INVERSE_OF[request];
  return inverse ? { kind: inverse, fromAsker: false } : { kind: request as LinkKind, fromAsker: true };
}

const WORDS: Record<LinkKind, { outgoing: string; incoming: string; outgoingKey: LinkRequest; incomingKey: LinkRequest }> = {
  relates: { outgoing: 'relates to', incoming: 'relates to', outgoingKey: 'relates', incomingKey: 'relates' },
  blocks: { outgoing: 'blocks', incoming: 'is blocked by', outgoingKey: 'blocks', incomingKey: 'blockedBy' },
  duplicates: { outgoing: 'duplicates', incoming: 'is duplicated by', outgoingKey: 'duplicates', incomingKey: 'duplicatedBy' },
  tests: { outgoing: 'tests', incoming: 'is tested by', outgoingKey: 'tests', incomingKey: 'testedBy' },
  createdFrom: { outgoing: 'was created from', incoming: 'is the origin of', outgoingKey: 'createdFrom', incomingKey: 'origin' },
};

/** How a link reads from one end: "blocks" from its `from` record, "is blocked by" from the other. */
export function linkWords(kind: string, direction: 'outgoing' | 'incoming'): { label: string; as: LinkRequest } {
  const w = WORDS[kind as LinkKind] ?? WORDS.relates;
  return direction === 'outgoing' ? { label: w.outgoing, as: w.outgoingKey } : { label: w.incoming, as: w.incomingKey };
}
