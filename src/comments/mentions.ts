/**
 * `@name` in a comment: a word that starts with @ after a space, a line start or an opening
 * bracket (so an email address, ann@example.com, is not a mention). Which names are people is
 * decided by the caller (members of the project).
 */
export function mentionedNames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/(?<![\p{L}\p{N}_.@-])@([A-Za-z0-9][A-Za-z0-9_.-]{0,63})/gu)) names.add(m[1]!.replace(/[.-]+$/, '').toLowerCase());
  return [...names];
}
