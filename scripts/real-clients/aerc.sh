#!/usr/bin/env bash
# Drives aerc in tmux: its default key bindings (Rq reply quoted, rq reply-all quoted,
# :forward [-a]), vim embedded as the editor, `y` on the review screen to send.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CLIENT=aerc
ONLY="$*"
VERSION=$(aerc -v 2>&1 | head -1 | sed 's/ +.*//')
HOME_DIR=$(client_home aerc)
chmod 600 "$HOME_DIR/.config/aerc/accounts.conf"   # aerc refuses a readable accounts.conf

open_client() { tm_start rc-aerc "$HOME_DIR" aerc; wait_for 'Dana Reyes' 30; }
cmd() { type_text ":$1"; key Enter; sleep 0.6; }
# Selects an original by the cookie in its subject (row order is aerc's, not ours).
select_original() {
  local c row; c=$(cookie_of "aerc-$1")
  row=$(screen | grep 'Dana Reyes' | grep -nF "${c:0:30}" | cut -d: -f1)
  [ -n "$row" ] || { log "no row for aerc-$1"; screen >&2; return 1; }
  cmd "select $((row - 1))"
}
editor_open() { wait_for VIM-EDITING 20; sleep 0.5; }
send_and_capture() { # id case original typed steps
  vim_wq
  wait_for 'Send this email' 20
  key y
  sleep 2
  capture aerc "$1" "$2" "aerc-$3" "$VERSION" "$4" "$5"
}
want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }
reply() { select_original "$1"; key "${2:0:1}" "${2:1:1}"; editor_open; }

open_client

TYPED="Invoice 2026-0311 shows 1,204.50 but should be 1,104.50.
It started right after the February update."
if want top-post; then reply text Rq; vim_top_insert; type_lines "$TYPED"
  send_and_capture top-post top-post text "$TYPED" "select the original, Rq, vim: ggO type, :wq, y"; fi

TYPED="It is invoice 2026-0311, and yes, it started after the February update."
if want bottom-post; then reply text Rq; vim_end_append; key Enter; type_lines "$TYPED"
  send_and_capture bottom-post bottom-post text "$TYPED" "Rq, vim: Go, blank line, type, :wq, y"; fi

A1="Invoice 2026-0311."; A2="Yes, the first wrong one came on 3 March, two days after the update."
if want interleaved; then reply text Rq
  vim_after 'Which invoice number'; key Enter; type_lines "$A1"; vim_after 'Did the problem start'; key Enter; type_lines "$A2"
  send_and_capture interleaved interleaved text "$A1
$A2" "Rq, vim: answer under each question, :wq, y"; fi

TYPED="Please talk to our accountant directly, she has all the numbers."
if want no-quote; then reply text Rq; vim_delete_all; key i; type_lines "$TYPED"
  send_and_capture no-quote delete-quote text "$TYPED" "Rq, vim: ggdG (the quote deleted), type, :wq, y"; fi

TYPED="Totals are still wrong on 2026-0311, see above."
if want new-subject; then reply text Rq; vim_top_insert; type_lines "$TYPED"; vim_wq
  wait_for 'Send this email' 20; cmd 'header -f Subject Still wrong: invoice 2026-0311'; key e; editor_open
  send_and_capture new-subject change-subject text "$TYPED" "Rq, vim: ggO type, :wq; on review :header -f Subject Still wrong: invoice 2026-0311, e, :wq, y"; fi

TYPED="Yes"
if want one-word; then reply text Rq; vim_top_insert; type_lines "$TYPED"
  send_and_capture one-word one-word text "$TYPED" "Rq, vim: ggO Yes, :wq, y"; fi

TYPED="Grüße aus Köln: die Rechnung 2026-0311 ist falsch, ça ne va pas du tout. Übrigens: 12,50 €."
if want non-ascii; then reply text Rq; vim_end_append; key Enter; type_lines "$TYPED"
  send_and_capture non-ascii non-ascii text "$TYPED" "Rq, vim: Go, type at the bottom, :wq, y"; fi

TYPED="I exported orders-march.csv; the Discount column is missing."
if want html-top-post; then reply html Rq; vim_top_insert; type_lines "$TYPED"
  send_and_capture html-top-post top-post html "$TYPED" "Rq on the HTML original, vim: ggO type, :wq, y"; fi

TYPED="It was orders-march.csv, and the Discount column is the one missing."
if want html-bottom-post; then reply html Rq; vim_end_append; key Enter; type_lines "$TYPED"
  send_and_capture html-bottom-post bottom-post html "$TYPED" "Rq on the HTML original, vim: Go type, :wq, y"; fi

A1="orders-march.csv"; A2="The last one, Discount."
if want html-interleaved; then reply html Rq
  vim_after 'Which file did you'; key Enter; type_lines "$A1"; vim_after 'Which column is'; key Enter; type_lines "$A2"
  send_and_capture html-interleaved interleaved html "$A1
$A2" "Rq on the HTML original, vim: answer under each question, :wq, y"; fi

TYPED="Adding our accounting team: the totals on 2026-0311 are wrong by one line."
if want reply-all; then reply cc rq; vim_top_insert; type_lines "$TYPED"
  send_and_capture reply-all reply-all cc "$TYPED" "rq (reply all, quoted) on the Cc original, vim: ggO type, :wq, y"; fi

TYPED="FYI, this is what the vendor asked us; can you answer them?"
if want forward-inline; then select_original text; cmd "forward $TRACKING"; editor_open; vim_top_insert; type_lines "$TYPED"
  send_and_capture forward-inline forward-inline text "$TYPED" ":forward $TRACKING, vim: ggO type the note, :wq, y"; fi

TYPED="Forwarding the original message as an attachment."
if want forward-attachment; then select_original text; cmd "forward -F $TRACKING"; editor_open; vim_top_insert; type_lines "$TYPED"
  send_and_capture forward-attachment forward-attachment text "$TYPED" ":forward -F $TRACKING, vim: type the note, :wq, y"; fi

cmd quit; tm_stop
log "aerc done"
