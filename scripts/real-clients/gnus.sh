#!/usr/bin/env bash
# Drives Emacs (emacs -nw) with Gnus in tmux: R (reply with original), S W (wide reply with
# original), C-c C-f (forward; inline with message-forward-as-mime nil, as a message/rfc822
# part after M-: (setq message-forward-as-mime t)); message-mode editing keys; C-c C-c sends.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CLIENT=gnus
ONLY="$*"
VERSION="GNU Emacs $(emacs --version | head -1 | sed 's/GNU Emacs //'), Gnus v5.13"
HOME_DIR=$(client_home gnus)
chmod 600 "$HOME_DIR/.authinfo"
want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

# Emacs' Network Security Manager asks once per unencrypted server: "a" (always).
nsm() { if screen | grep -q 'Continue connecting?'; then key a; sleep 1.5; fi; }

open_client() {
  tm_start rc-gnus "$HOME_DIR" emacs -nw -f gnus
  local i
  for ((i = 0; i < 60; i++)); do nsm; if screen | grep -q '\*Group\*'; then break; fi; sleep 0.5; done
  wait_for 'INBOX' 20
  key C-s; type_text INBOX; key Enter; key Enter   # enter the group
  wait_for 'Summary' 20
}
# Puts point on the summary line of an original, found by the cookie in its subject.
select_original() {
  local c row i; c=$(cookie_of "gnus-$1")
  key M-\<
  row=$(screen | grep 'Dana Reyes' | grep -nF "${c:0:30}" | cut -d: -f1)
  [ -n "$row" ] || { log "no row for gnus-$1"; screen >&2; return 1; }
  for ((i = 1; i < row; i++)); do key C-n; done
}
composer_open() { wait_for 'unsent|\*mail\*|forward' 20; sleep 0.5; }
send_and_capture() { # id case original typed steps
  key C-c C-c
  local i
  for ((i = 0; i < 40; i++)); do
    nsm
    if screen | grep -q 'Summary'; then break; fi
    sleep 0.5
  done
  sleep 1
  capture gnus "$1" "$2" "gnus-$3" "$VERSION" "$4" "$5"
}
body_top() { key C-c C-b; }                 # message-goto-body: above the attribution line
body_end() { key M-\>; }
find_eol() { key C-s; type_text "$1"; key Enter; key C-e; }

open_client

TYPED="Invoice 2026-0311 shows 1,204.50 but should be 1,104.50.
It started right after the February update."
if want top-post; then select_original text; key R; composer_open; body_top; type_lines "$TYPED"; key Enter
  send_and_capture top-post top-post text "$TYPED" "R, C-c C-b (to the body), type, Enter, C-c C-c"; fi

TYPED="It is invoice 2026-0311, and yes, it started after the February update."
if want bottom-post; then select_original text; key R; composer_open; body_end; key Enter; type_lines "$TYPED"
  send_and_capture bottom-post bottom-post text "$TYPED" "R, M-> (end), Enter, type, C-c C-c"; fi

A1="Invoice 2026-0311."; A2="Yes, the first wrong one came on 3 March, two days after the update."
if want interleaved; then select_original text; key R; composer_open
  find_eol 'Which invoice number'; key Enter Enter; type_lines "$A1"; find_eol 'Did the problem start'; key Enter Enter; type_lines "$A2"
  send_and_capture interleaved interleaved text "$A1
$A2" "R, C-s each question, C-e, Enter Enter, type the answer, C-c C-c"; fi

TYPED="Please talk to our accountant directly, she has all the numbers."
if want no-quote; then select_original text; key R; composer_open; body_top; key C-@; body_end; key C-w; type_lines "$TYPED"
  send_and_capture no-quote delete-quote text "$TYPED" "R, C-c C-b, C-SPC, M->, C-w (the quote deleted), type, C-c C-c"; fi

TYPED="Totals are still wrong on 2026-0311, see above."
if want new-subject; then select_original text; key R; composer_open
  key C-c C-f C-s; key C-a; key C-k; type_text "Still wrong: invoice 2026-0311"; body_top; type_lines "$TYPED"; key Enter
  send_and_capture new-subject change-subject text "$TYPED" "R, C-c C-f C-s (subject), C-a, C-k, type new subject, C-c C-b, type, C-c C-c"; fi

TYPED="Yes"
if want one-word; then select_original text; key R; composer_open; body_end; key Enter; type_lines "$TYPED"
  send_and_capture one-word one-word text "$TYPED" "R, M->, Enter, Yes, C-c C-c"; fi

TYPED="Grüße aus Köln: die Rechnung 2026-0311 ist falsch, ça ne va pas du tout. Übrigens: 12,50 €."
if want non-ascii; then select_original text; key R; composer_open; body_top; type_lines "$TYPED"; key Enter
  send_and_capture non-ascii non-ascii text "$TYPED" "R, C-c C-b, type, C-c C-c"; fi

TYPED="I exported orders-march.csv; the Discount column is missing."
if want html-top-post; then select_original html; key R; composer_open; body_top; type_lines "$TYPED"; key Enter
  send_and_capture html-top-post top-post html "$TYPED" "R on the HTML original, C-c C-b, type, C-c C-c"; fi

TYPED="It was orders-march.csv, and the Discount column is the one missing."
if want html-bottom-post; then select_original html; key R; composer_open; body_end; key Enter; type_lines "$TYPED"
  send_and_capture html-bottom-post bottom-post html "$TYPED" "R on the HTML original, M->, type, C-c C-c"; fi

TYPED="Adding our accounting team: the totals on 2026-0311 are wrong by one line."
if want reply-all; then select_original cc; key S W; composer_open; body_top; type_lines "$TYPED"; key Enter
  send_and_capture reply-all reply-all cc "$TYPED" "S W (wide reply with original) on the Cc original, C-c C-b, type, C-c C-c"; fi

TYPED="FYI, this is what the vendor asked us; can you answer them?"
if want forward-inline; then select_original text; key C-c C-f; composer_open
  key C-c C-f C-t; type_text "$TRACKING"; body_top; type_lines "$TYPED"
  send_and_capture forward-inline forward-inline text "$TYPED" "C-c C-f (forward, message-forward-as-mime nil), C-c C-f C-t, To: $TRACKING, C-c C-b, type the note, C-c C-c"; fi

TYPED="Forwarding the original message as an attachment."
if want forward-attachment; then
  key M-:; type_text "(setq message-forward-as-mime t)"; key Enter; sleep 0.5
  select_original text; key C-c C-f; composer_open
  key C-c C-f C-t; type_text "$TRACKING"; body_top; type_lines "$TYPED"
  send_and_capture forward-attachment forward-attachment text "$TYPED" "M-: (setq message-forward-as-mime t), C-c C-f, To: $TRACKING, C-c C-b, type the note, C-c C-c"; fi

key C-x C-c; sleep 1; tm_stop
log "gnus done"
