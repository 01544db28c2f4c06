#!/usr/bin/env bash
# Drives s-nail (mailx) in tmux. With `set quote` a reply starts with the quoted original and
# what is typed on the terminal goes below it (s-nail's natural bottom-post); ~e opens vim for
# the rest; ~. sends.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CLIENT=snail
ONLY="$*"
VERSION=$(s-nail -V | sed 's/,.*//')
HOME_DIR=$(client_home snail)

open_client() {
  tm_start rc-snail "$HOME_DIR" env MAILRC="$HOME_DIR/.mailrc" s-nail
  wait_for 'requires a password' 20; type_text "$PASSWORD"; key Enter
  wait_for 'messages' 20
}
prompt() { type_text "$1"; key Enter; sleep 0.8; }
# The message number of an original, read from the header list by its cookie.
num_of() {
  local c; c=$(cookie_of "snail-$1")
  prompt "headers"
  # Only header-list lines ("▸N  1 Dana Reyes ..."), never an echoed Subject: or In-Reply-To:.
  screen | grep -E '^[^A-Za-z0-9]*[A-Z]? +[0-9]+ Dana Reyes ' | grep -F "$c" | sed -E 's/^[^0-9]*([0-9]+) Dana Reyes .*/\1/' | tail -1
}
send_and_capture() { # id case original typed steps
  prompt "~."
  wait_for 'Send this message' 20; prompt yes   # `set ask`: s-nail shows the envelope and asks
  wait_for '^\?' 20
  capture snail "$1" "$2" "snail-$3" "$VERSION" "$4" "$5"
}
# ~e shows the headers too (Debian's s-nail.rc sets editheaders): the body starts after the first
# empty line.
body_top() { key g g; type_text '/^$'; key Enter; key o; }
body_delete() { key g g; type_text '/^$'; key Enter; key j d G; }
want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

open_client

TYPED="It is invoice 2026-0311, and yes, it started after the February update."
if want bottom-post; then n=$(num_of text); prompt "Reply $n"; wait_for 'Mailtrail ref' 10; type_lines "$TYPED"
  send_and_capture bottom-post bottom-post text "$TYPED" "Reply N (set quote: the original is quoted), type lines, ~."; fi

TYPED="Yes"
if want one-word; then n=$(num_of text); prompt "Reply $n"; wait_for 'Mailtrail ref' 10; type_lines "$TYPED"
  send_and_capture one-word one-word text "$TYPED" "Reply N, type Yes, ~."; fi

TYPED="Grüße aus Köln: die Rechnung 2026-0311 ist falsch, ça ne va pas du tout. Übrigens: 12,50 €."
if want non-ascii; then n=$(num_of text); prompt "Reply $n"; wait_for 'Mailtrail ref' 10; type_lines "$TYPED"
  send_and_capture non-ascii non-ascii text "$TYPED" "Reply N, type, ~."; fi

TYPED="Invoice 2026-0311 shows 1,204.50 but should be 1,104.50.
It started right after the February update."
if want top-post; then n=$(num_of text); prompt "Reply $n"; wait_for 'Mailtrail ref' 10; prompt "~e"; wait_for VIM-EDITING 10
  body_top; type_lines "$TYPED"; vim_wq; wait_for '\(continue\)' 10
  send_and_capture top-post top-post text "$TYPED" "Reply N, ~e, vim: below the headers, type, :wq, ~."; fi

A1="Invoice 2026-0311."; A2="Yes, the first wrong one came on 3 March, two days after the update."
if want interleaved; then n=$(num_of text); prompt "Reply $n"; wait_for 'Mailtrail ref' 10; prompt "~e"; wait_for VIM-EDITING 10
  vim_after 'Which invoice number'; key Enter; type_lines "$A1"; vim_after 'Did the problem start'; key Enter; type_lines "$A2"; vim_wq; wait_for '\(continue\)' 10
  send_and_capture interleaved interleaved text "$A1
$A2" "Reply N, ~e, vim: answer under each question, :wq, ~."; fi

TYPED="Please talk to our accountant directly, she has all the numbers."
if want no-quote; then n=$(num_of text); prompt "Reply $n"; wait_for 'Mailtrail ref' 10; prompt "~e"; wait_for VIM-EDITING 10
  body_delete; key o; type_lines "$TYPED"; vim_wq; wait_for '\(continue\)' 10
  send_and_capture no-quote delete-quote text "$TYPED" "Reply N, ~e, vim: delete everything below the headers (the quote), type, :wq, ~."; fi

TYPED="Totals are still wrong on 2026-0311, see above."
if want new-subject; then n=$(num_of text); prompt "Reply $n"; wait_for 'Mailtrail ref' 10; prompt "~s Still wrong: invoice 2026-0311"; type_lines "$TYPED"
  send_and_capture new-subject change-subject text "$TYPED" "Reply N, ~s Still wrong: invoice 2026-0311, type, ~."; fi

TYPED="It was orders-march.csv, and the Discount column is the one missing."
if want html-bottom-post; then n=$(num_of html); prompt "Reply $n"; wait_for 'Mailtrail ref' 10; type_lines "$TYPED"
  send_and_capture html-bottom-post bottom-post html "$TYPED" "Reply N on the HTML original, type, ~."; fi

TYPED="I exported orders-march.csv; the Discount column is missing."
if want html-top-post; then n=$(num_of html); prompt "Reply $n"; wait_for 'Mailtrail ref' 10; prompt "~e"; wait_for VIM-EDITING 10
  body_top; type_lines "$TYPED"; vim_wq; wait_for '\(continue\)' 10
  send_and_capture html-top-post top-post html "$TYPED" "Reply N on the HTML original, ~e, vim: below the headers, type, :wq, ~."; fi

TYPED="Adding our accounting team: the totals on 2026-0311 are wrong by one line."
if want reply-all; then n=$(num_of cc); prompt "reply $n"; wait_for 'Mailtrail ref' 10; type_lines "$TYPED"
  send_and_capture reply-all reply-all cc "$TYPED" "reply N (lower case: all recipients) on the Cc original, type, ~."; fi

TYPED="FYI, this is what the vendor asked us; can you answer them?"
if want forward-inline; then n=$(num_of text); prompt "forward $n $TRACKING"; sleep 1; type_lines "$TYPED"
  send_and_capture forward-inline forward-inline text "$TYPED" "forward N $TRACKING, type the note, ~."; fi

TYPED="Forwarding the original message as an attachment."
if want forward-attachment; then prompt "set forward-as-attachment"; n=$(num_of text); prompt "forward $n $TRACKING"; sleep 1; type_lines "$TYPED"
  send_and_capture forward-attachment forward-attachment text "$TYPED" "set forward-as-attachment, forward N $TRACKING, type the note, ~."; fi

prompt "xit"; tm_stop
log "snail done"
