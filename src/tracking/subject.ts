/**
 * Reply and forward prefixes mail clients write, by language: Re/RE, AW/Antw/Antwort (de, nl),
 * SV (sv, da, no), VS/VL (fi), WG (de), TR/Réf (fr; not the English `Ref:`), Fwd/FW/Fw, RV (es), Rif/R (it — `R` is
 * left out: too short to be safe), RES/ENC (pt), Odp/PD (pl), Ynt/İLT (tr), Doorst (nl),
 * ΑΠ/ΣΧΕΤ/ΠΡΘ (el), Отв/Ответ/Пересл/Fw (ru), 回复/答复/转发 (zh-Hans), 回覆/轉寄 (zh-Hant).
 * Each may carry a count (`Re[2]:`, `Re(3):`, `Re^2:`), a space before the colon (French
 * typography) or a full-width colon.
 */
const replyPrefix = new RegExp(
  String.raw`^\s*(?:re|aw|antw|antwort|sv|vs|vl|wg|tr|réf\.?|fwd?|fw|rv|rif|res|enc|odp|pd|ynt|İlt|ilt|doorst|απ|σχετ|πρθ|отв|ответ|пересл|回复|答复|转发|回覆|轉寄)` +
    String.raw`\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*`,
  'iu',
);

/** The subject without its reply/forward prefixes, repeated or counted, whitespace collapsed. */
export function normalizeSubject(subject: string): string {
  let current = subject.replace(/\s+/g, ' ').trim();
  for (let i = 0; i < 50; i++) {
    const next = current.replace(replyPrefix, '');
    if (next === current) break;
    current = next;
  }
  return current.trim();
}
