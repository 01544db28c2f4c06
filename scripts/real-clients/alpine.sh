#!/usr/bin/env bash
# Drives alpine in tmux through the corpus cases. Alpine's own composer (pico) is used, as a
# person using alpine does; its signature (with "-- ") goes above the quote, alpine's default.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CLIENT=alpine
ONLY=${1:-}
VERSION=$(alpine -v 2>&1 | head -1 | sed 's/ (.*//')
HOME_DIR=$(client_home alpine)

answer_until() { # pattern: answers alpine's startup and reply prompts until pattern shows
  local pat=$1 i last
  for ((i = 0; i < 120; i++)); do
    if screen | grep -qE -- "$pat"; then return 0; fi
    last=$(screen | grep -v '^\s*$' | tail -3 | head -1)
    case "$(screen)" in
      *"To Exit this screen and continue"*) key E ;;
      *"ENTER PASSWORD:"*) type_text "$PASSWORD"; key Enter ;;
      *"Preserve password on DISK"*) key n ;;
      *"Include original message in Reply?"*) key "$INCLUDE" ;;
      *'Use "Reply-To:" address instead of "From:" address?'*) key y ;;
      *"Reply to all recipients?"*) key "$ALL" ;;
      *"Forward message as an attachment?"*) key y ;;
      *"doesn't exist.  Create?"*) key y ;; # the local sent-mail folder, first send only
      *) sleep 0.3; continue ;;
    esac
    sleep 0.6
  done
  log "never saw /$pat/"; screen >&2; return 1
}

open_client() {
  tm_start rc-alpine "$HOME_DIR" alpine
  answer_until 'MAIN MENU'
  answer_until 'Opening "INBOX".*DONE|Folder: INBOX'
  key I
  answer_until 'MESSAGE INDEX'
}

# Alpine's index is in arrival order; an original is found with W (whereis) on its subject and
# the composer's Subject line is checked before anything is typed.
goto() {
  local what=$1
  case "$what" in text) SUBJ=' Invoice totals$' FIND='Invoice' ;; html) SUBJ='CSV export$' FIND='CSV expo' ;; cc) SUBJ='with accounting$' FIND='Invoice' ;; esac
  key Home 2>/dev/null || true
  type_text W; sleep 0.3; type_text "$FIND"; key Enter; sleep 0.5
}
check_subject() {
  if ! screen | grep -E '^Subject :' | grep -qE -- "$SUBJ"; then
    # Wrong message: cancel this reply and try the next match.
    return 1
  fi
}

# Opens the composer on the original `what` with `R` (or F), trying matches in order until the
# composer's Subject is the right one.
compose_on() { # what R|F
  local what=$1 cmd=$2 n
  for n in 1 2 3; do
    type_text J; sleep 0.3; type_text "$n"; key Enter; sleep 0.5
    type_text "$cmd"
    answer_until 'COMPOSE MESSAGE|FORWARD MESSAGE'
    if [ "$cmd" = F ]; then
      # Forward: the cursor is in To:; the Subject is below, read it from the screen.
      :
    fi
    if screen | grep -E '^Subject *:' | grep -qE -- "$SUBJ"; then return 0; fi
    key C-c; sleep 0.4; answer_until 'Cancel message|MESSAGE INDEX' || true
    if screen | grep -q "Cancel message"; then key C; fi
    answer_until 'MESSAGE INDEX'
  done
  log "no original with subject /$SUBJ/"; return 1
}

set_subj() { case "$1" in text) SUBJ='\] Invoice totals$' ;; html) SUBJ='CSV export$' ;; cc) SUBJ='with accounting$' ;; esac; }

send_and_capture() { # id case original typed steps
  key C-x
  answer_until 'Send message\?'
  key y
  answer_until 'Message sent|MESSAGE INDEX'
  capture alpine "$1" "$2" "$3" "$VERSION" "$4" "$5"
}

# Body editing in pico: the cursor starts on the first body line.
top() { type_lines "$TYPED"; }
bottom() { key C-w C-v; key Enter; type_lines "$TYPED"; }   # ^W ^V: end of the text
find_line() { key C-w; type_text "$1"; key Enter; key C-e; }   # to the end of the matching line
interleave() { find_line 'Which invoice number'; key Enter Enter; type_lines "$A1"; find_line 'Did the problem start'; key Enter Enter; type_lines "$A2"; }
interleave_html() { find_line 'Which file did you'; key Enter Enter; type_lines "$A1"; find_line 'Which column is'; key Enter Enter; type_lines "$A2"; }
new_subject() { key Up; key C-k; type_text "$NEWSUBJ"; key Enter; type_lines "$TYPED"; }

reply_case() { # id case what include all typed step
  local id=$1 kase=$2 what=$3; INCLUDE=$4; ALL=$5; TYPED=$6; local step=$7
  [ -n "$ONLY" ] && [ "$ONLY" != "$id" ] && return 0
  set_subj "$what"
  compose_on "$what" R
  $step
  send_and_capture "$id" "$kase" "alpine-$what" "$TYPED" "J (jump) to the original, R, Include original: $INCLUDE, Use Reply-To: y, Reply to all: $ALL; pico: $step; ^X, y"
}

open_client

reply_case top-post top-post text y n "Invoice 2026-0311 shows 1,204.50 but should be 1,104.50.
It started right after the February update." top
reply_case bottom-post bottom-post text y n "It is invoice 2026-0311, and yes, it started after the February update." bottom
A1="Invoice 2026-0311."; A2="Yes, the first wrong one came on 3 March, two days after the update."
reply_case interleaved interleaved text y n "$A1
$A2" interleave
reply_case no-quote delete-quote text n n "Please talk to our accountant directly, she has all the numbers." top
NEWSUBJ="Still wrong: invoice 2026-0311"
reply_case new-subject change-subject text y n "Totals are still wrong on 2026-0311, see above." new_subject
reply_case one-word one-word text y n "Yes" top
reply_case non-ascii non-ascii text y n "Grüße aus Köln: die Rechnung 2026-0311 ist falsch, ça ne va pas du tout. Übrigens: 12,50 €." top
reply_case html-top-post top-post html y n "I exported orders-march.csv; the Discount column is missing." top
A1="orders-march.csv"; A2="The last one, Discount."
reply_case html-interleaved interleaved html y n "$A1
$A2" interleave_html
reply_case html-bottom-post bottom-post html y n "It was orders-march.csv, and the Discount column is the one missing." bottom
reply_case reply-all reply-all cc y y "Adding our accounting team: the totals on 2026-0311 are wrong by one line." top

if [ -z "$ONLY" ] || [ "$ONLY" = forward-inline ]; then
  TYPED="FYI, this is what the vendor asked us; can you answer them?"
  set_subj text
  SUBJ='Invoice totals \(fwd\)$'
  compose_on text F
  # Cursor in To:, then Enter through Cc, Attchmnt, Subject into the body.
  type_text "$TRACKING"; key Enter Enter Enter Enter
  top
  send_and_capture forward-inline forward-inline alpine-text "$TYPED" "J to the original, F, To: $TRACKING, Enter x4 to the body, type; ^X, y"
fi
key q; sleep 0.5; tm_stop

if [ -z "$ONLY" ] || [ "$ONLY" = forward-attachment ]; then
  # Forwarding as an attachment is a setting in alpine (feature forward-as-attachment).
  sed -i 's/^feature-list=/feature-list=forward-as-attachment,\n\t/' "$HOME_DIR/.pinerc"
  open_client
  TYPED="Forwarding the original message as an attachment."
  SUBJ='Invoice totals \(fwd\)$'
  compose_on text F
  type_text "$TRACKING"; key Enter Enter Enter Enter
  top
  send_and_capture forward-attachment forward-attachment alpine-text "$TYPED" "feature forward-as-attachment on; J to the original, F, To: $TRACKING, Enter x4, type; ^X, y"
  key q; sleep 0.5; tm_stop
fi
log "alpine done"
