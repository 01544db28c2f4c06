// Every bound the trimmer puts on untrusted input, in one place. Reply bodies come from
// strangers, so each limit exists to keep one trim call linear in the size of its input.

/**
 * Plain text beyond this many characters is not analysed: only the head is trimmed and the
 * tail is handed back unread (as quoted text when the head already held a quote). A new reply
 * sits at the top of a message; a longer body is nearly always a long quoted thread.
 */
export const MAX_TEXT_CHARS = 200_000;

/**
 * HTML beyond this many characters is cut off before parsing. talon measured about 2.8 MB as
 * the point where its processing time explodes; we stay well below, since only the head matters.
 */
export const MAX_HTML_CHARS = 1_000_000;

/**
 * Elements nested deeper than this are dropped before parsing. htmlparser2 keeps its stack of
 * open elements in an array it shifts and unshifts, so parse time grows with the square of the
 * nesting depth (100,000 nested <div>s take seconds). Real mail nests a few dozen levels.
 */
export const MAX_HTML_DEPTH = 500;

/**
 * Lines longer than this are classified on their first characters only, and the matchers
 * anchored at the end of a line (`… wrote:`) are not tried on them: no quote header is this
 * long, and several upstream patterns backtrack quadratically in the line length.
 */
export const MAX_CLASSIFIED_LINE_CHARS = 1_000;

/**
 * Quote headers that a client wrapped over several lines are re-joined before classification.
 * Upstream leaves a header alone when it would span more than this many line breaks.
 */
export const MAX_JOINED_HEADER_BREAKS = 4;

/**
 * The "<date> … napisał(a):" family is re-joined with a regex that backtracks up to 80×80 steps
 * per start; past this many candidate starts in one body the join is skipped (the per-line
 * matcher, which is linear, still recognises unwrapped headers).
 */
export const MAX_DATE_WROTE_JOIN_ATTEMPTS = 200;

/**
 * Old-style ">>> name >>> … <<< name <<<" and ">>>>" / "<<<<" enclosed quotes are rewritten with a
 * lazy scan per opening line; more openings than this in one body are left alone.
 */
export const MAX_ENCLOSED_QUOTE_OPENINGS = 20;

/** How many lines before our marker may hold the "On … wrote:" header that introduces it. */
export const MARKER_HEADER_LOOKBACK_LINES = 3;

/** A "-- " signature block longer than this is more likely a quoted message than a signature. */
export const MAX_SIGNATURE_LINES = 20;
