#!/usr/bin/env bash
# Drives mutt (or neomutt: `mutt.sh neomutt`) in tmux through every case of the corpus.
# The originals in the client's INBOX are sent by originals.ts and found by subject (goto_msg). The editor is vim (scripts/real-clients/vimrc); mutt's prompts are answered as
# they come up, as a person reading the screen would.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CLIENT=${1:-mutt}
BIN=$CLIENT
ONLY=${2:-}
VERSION=$($BIN -v | head -1 | sed 's/ (.*//')
HOME_DIR=$(client_home "$CLIENT")

open_client() { tm_start "rc-$CLIENT" "$HOME_DIR" "$BIN"; wait_for 'Dana Reyes' 30; }

# Answers mutt's prompts until the editor opens. $1: include quote (y/n); $2: new subject or "".
prompts_until_editor() {
  local include=$1 subject=$2 i last
  for ((i = 0; i < 80; i++)); do
    if screen | grep -q 'VIM-EDITING'; then return 0; fi
    last=$(screen | grep -v '^\s*$' | tail -1)
    case "$last" in
      *"Reply to "*"?"*) key y ;;
      *"Include message in reply?"*) key "$include" ;;
      *"Forward as attachment?"*) key n ;;
      "Subject:"*)
        # The subject shows which message is being answered: never reply to the wrong one.
        if ! screen | tr -d '\n' | grep -qF -- "$EXPECT_SUBJ"; then log "wrong message: $last (want $EXPECT_SUBJ)"; return 1; fi
        if [ -n "$subject" ]; then key C-u; type_text "$subject"; fi
        key Enter ;;
      "To:"* | "Cc:"* | "Bcc:"*) key Enter ;;
      *) sleep 0.25; continue ;;
    esac
    sleep 0.5
  done
  log "editor never opened"; screen >&2; return 1
}

send_and_capture() { # id case original typed steps
  wait_for 'y:Send|Y:Send' 20
  key y
  wait_for 'Mail sent' 20
  capture "$CLIENT" "$1" "$2" "$3" "$VERSION" "$4" "$5"
}

# Selects an original by its subject with mutt's search (/), as message numbers depend on sort
# order: 1 = <client>-text, 2 = <client>-html, 3 = <client>-cc.
goto_msg() {
  local pat
  case "$1" in
    1) pat='~s "Invoice totals$"' EXPECT_SUBJ='] Invoice totals' ;;
    2) pat='~s "CSV export"' EXPECT_SUBJ='] CSV export' ;;
    3) pat='~s "with accounting"' EXPECT_SUBJ='with accounting' ;;
  esac
  type_text /; type_text "$pat"; key Enter; sleep 0.5
}

reply_case() { # id case msg-number original include subject typed editor-steps...
  local id=$1 kase=$2 n=$3 original=$4 include=$5 subject=$6 typed=$7; shift 7
  [ -n "$ONLY" ] && [ "$ONLY" != "$id" ] && return 0
  goto_msg "$n"; key r
  prompts_until_editor "$include" "$subject"
  "$@"
  vim_wq
  send_and_capture "$id" "$kase" "$original" "$typed" "r on message $n; include=$include; subject=${subject:-kept}; editor: $*"
}

# Editor steps (vim, the cursor on line 1 of the reply).
top() { vim_top_insert; type_lines "$TYPED"; }
bottom() { vim_before_sig; key Enter; type_lines "$TYPED"; }
bottom_nosig() { vim_end_append; key Enter; type_lines "$TYPED"; }
only() { vim_delete_all; key i; type_lines "$TYPED"; }
interleave() { # after each quoted question, the answer, a blank line around it
  vim_after 'Which invoice number'; key Enter; type_lines "$A1"
  vim_after 'Did the problem start'; key Enter; type_lines "$A2"
}
interleave_html() {
  vim_after 'Which file did you'; key Enter; type_lines "$A1"
  vim_after 'Which column is'; key Enter; type_lines "$A2"
}

SIG=no; [ -f "$HOME_DIR/.signature" ] && SIG=yes
bottom_step=bottom; [ "$SIG" = no ] && bottom_step=bottom_nosig

open_client

TYPED="Invoice 2026-0311 shows 1,204.50 but should be 1,104.50.
It started right after the February update."
reply_case top-post top-post 1 "$CLIENT-text" y "" "$TYPED" top

TYPED="It is invoice 2026-0311, and yes, it started after the February update."
reply_case bottom-post bottom-post 1 "$CLIENT-text" y "" "$TYPED" $bottom_step

A1="Invoice 2026-0311."
A2="Yes, the first wrong one came on 3 March, two days after the update."
TYPED="$A1
$A2"
reply_case interleaved interleaved 1 "$CLIENT-text" y "" "$TYPED" interleave

TYPED="Please talk to our accountant directly, she has all the numbers."
reply_case no-quote delete-quote 1 "$CLIENT-text" n "" "$TYPED" top

TYPED="Totals are still wrong on 2026-0311, see above."
reply_case new-subject change-subject 1 "$CLIENT-text" y "Still wrong: invoice 2026-0311" "$TYPED" top

TYPED="Yes"
reply_case one-word one-word 1 "$CLIENT-text" y "" "$TYPED" top

TYPED="Grüße aus Köln: die Rechnung 2026-0311 ist falsch, ça ne va pas du tout. Übrigens: 12,50 €."
reply_case non-ascii non-ascii 1 "$CLIENT-text" y "" "$TYPED" top

TYPED="I exported orders-march.csv; the Discount column is missing."
reply_case html-top-post top-post 2 "$CLIENT-html" y "" "$TYPED" top

A1="orders-march.csv"
A2="The last one, Discount."
TYPED="$A1
$A2"
reply_case html-interleaved interleaved 2 "$CLIENT-html" y "" "$TYPED" interleave_html

TYPED="Adding our accounting team: the totals on 2026-0311 are wrong by one line."
if [ -z "$ONLY" ] || [ "$ONLY" = reply-all ]; then
  goto_msg 3; key g
  prompts_until_editor y ""
  top; vim_wq
  send_and_capture reply-all reply-all "$CLIENT-cc" "$TYPED" "g (group reply) on message 3, prompts answered with Enter; editor: top"
fi

TYPED="FYI, this is what the vendor asked us; can you answer them?"
if [ -z "$ONLY" ] || [ "$ONLY" = forward-inline ]; then
  goto_msg 1; key f
  wait_for "^To:" 10; type_text "$TRACKING"; key Enter
  prompts_until_editor y ""
  top; vim_wq
  send_and_capture forward-inline forward-inline "$CLIENT-text" "$TYPED" "f on message 1, To: $TRACKING, subject kept; editor: top"
fi

TYPED="Forwarding the original message as an attachment."
if [ -z "$ONLY" ] || [ "$ONLY" = forward-attachment ]; then
  type_text ":set mime_forward=yes"; key Enter
  goto_msg 1; key f
  wait_for "^To:" 10; type_text "$TRACKING"; key Enter
  prompts_until_editor y ""
  top; vim_wq
  send_and_capture forward-attachment forward-attachment "$CLIENT-text" "$TYPED" ":set mime_forward=yes, f on message 1, To: $TRACKING; editor: type the note"
  type_text ":set mime_forward=no"; key Enter
fi

key q; sleep 0.5; key y 2>/dev/null || true
tm_stop
log "$CLIENT done"
