#!/usr/bin/env bash
# Drives Thunderbird under Xvfb with xdotool. Sessions differ only in the account's settings a
# person changes in Account Settings → Composition & Addressing (HTML or plain text; start the
# reply above or below the quote) and the forward mode (Settings → Composition → Forward
# messages: inline / as attachment), each written to user.js before Thunderbird starts.
#   thunderbird.sh SESSION [case ...]   SESSION: html-below | html-above | text-below | html-sig
# (html-sig: reply above the quote with an HTML signature, placed below the reply and above
# the quote: sig_bottom false)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/tb-lib.sh"
SESSION=$1; shift
ONLY="$*"
CLIENT=thunderbird
VERSION=$(thunderbird --version 2>/dev/null | tail -1)
want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

start_session() {
  tb_start
  case "$SESSION" in
    html-below) printf 'user_pref("mail.identity.id1.compose_html", true);\nuser_pref("mail.identity.id1.reply_on_top", 0);\nuser_pref("mail.forward_message_mode", 2);\n' ;;
    html-above) printf 'user_pref("mail.identity.id1.compose_html", true);\nuser_pref("mail.identity.id1.reply_on_top", 1);\nuser_pref("mail.forward_message_mode", 0);\n' ;;
    html-sig) printf 'user_pref("mail.identity.id1.compose_html", true);\nuser_pref("mail.identity.id1.reply_on_top", 1);\nuser_pref("mail.identity.id1.sig_bottom", false);\nuser_pref("mail.identity.id1.htmlSigFormat", true);\nuser_pref("mail.identity.id1.htmlSigText", "Jo Lindqvist<br>Lindqvist Consulting");\n' ;;
    text-below) printf 'user_pref("mail.identity.id1.compose_html", false);\nuser_pref("mail.identity.id1.reply_on_top", 0);\nuser_pref("mail.forward_message_mode", 2);\n' ;;
  esac >>"$TB_PROFILE/user.js"
  local w; w=$(x_wait 'Enter your password' 90)
  xdotool windowfocus --sync "$w"; x_type "$PASSWORD"; x_key Return
  sleep 6
  map_cards
}

# The message list shows three cards; which is which is read from the Write window's title of
# a reply opened (and closed unchanged) on each.
declare -A CARD_Y
map_cards() {
  local y w title
  for y in 125 200 275; do
    xdotool mousemove 430 "$y" click 1; sleep 1.5
    x_key ctrl+r
    w=$(x_wait 'Write: Re: \[' 30); sleep 2
    title=$(xdotool getwindowname "$w")
    for o in text html cc; do
      if [[ "$title" == *"$(cookie_of "thunderbird-$o")"* ]]; then CARD_Y[$o]=$y; fi
    done
    xdotool windowfocus --sync "$w"; x_key ctrl+w; sleep 1.5
  done
  log "cards: text=${CARD_Y[text]:-?} html=${CARD_Y[html]:-?} cc=${CARD_Y[cc]:-?}"
  [ -n "${CARD_Y[text]:-}" ] && [ -n "${CARD_Y[html]:-}" ] && [ -n "${CARD_Y[cc]:-}" ]
}
main_window() { xdotool search --name 'Mozilla Thunderbird$' | tail -1; }
# Opens a composer on an original: keys ctrl+r (reply), ctrl+shift+r (reply all), ctrl+l (forward).
compose() { # original keys
  xdotool windowfocus --sync "$(main_window)"
  xdotool mousemove 430 "${CARD_Y[$1]}" click 1; sleep 1.5
  x_key "$2"
  COMPOSER=$(x_wait 'Write: ' 30); sleep 3
  if ! xdotool getwindowname "$COMPOSER" | grep -qF "$(cookie_of "thunderbird-$1")"; then log "composer is on the wrong message"; return 1; fi
  xdotool windowfocus --sync "$COMPOSER"
}
send_and_capture() { # id case original typed steps
  shot "$SESSION-$1"
  x_key ctrl+Return
  local w; w=$(x_wait '^Send Message$' 15); xdotool windowfocus --sync "$w"; x_key Return
  sleep 4
  capture thunderbird "$1" "$2" "thunderbird-$3" "$VERSION" "$4" "compose: $SESSION; $5"
}
# The caret to the end of the Nth line of the body (counted from the attribution line). Enter
# there splits the quote (Gecko's mail editor breaks a cite blockquote at the caret).
to_line_end() { x_key ctrl+Home; local i; for ((i = 1; i < $1; i++)); do x_key Down; done; x_key End; }
# First question: line 5 in HTML (attribution, marker, Hello, intro, question), line 8 in plain
# text, where the empty quoted lines between paragraphs are lines too. The second question is
# then one line (HTML) or two (text) below the typed answer.
Q1=5; Q2_DOWN=1
[ "$SESSION" = text-below ] && { Q1=8; Q2_DOWN=2; }
interleave() {
  to_line_end "$Q1"; x_key Return Return; x_lines "$1"
  local i; for ((i = 0; i < Q2_DOWN; i++)); do x_key Down; done; x_key End Return; x_lines "$2"
}

start_session
case "$SESSION" in
html-below | text-below)
  P=""; [ "$SESSION" = text-below ] && P="text-"
  TYPED="It is invoice 2026-0311, and yes, it started after the February update."
  if want bottom-post; then compose text ctrl+r; x_lines "$TYPED"
    send_and_capture "${P}bottom-post" bottom-post text "$TYPED" "click the message, Ctrl+R, type (the caret starts below the quote), Ctrl+Return, Send"; fi

  A1="Invoice 2026-0311."; A2="Yes, the first wrong one came on 3 March, two days after the update."
  if want interleaved; then compose text ctrl+r; interleave "$A1" "$A2"
    send_and_capture "${P}interleaved" interleaved text "$A1
$A2" "Ctrl+R; Ctrl+Home, Down to the first question, End, Enter Enter (Enter splits the quote), type; Down to the second, End, Enter, type; Ctrl+Return, Send"; fi

  TYPED="It was orders-march.csv, and the Discount column is the one missing."
  if want html-bottom-post; then compose html ctrl+r; x_lines "$TYPED"
    send_and_capture "${P}html-bottom-post" bottom-post html "$TYPED" "Ctrl+R on the HTML original, type below the quote, Ctrl+Return, Send"; fi

  A1="orders-march.csv"; A2="The last one, Discount."
  if want html-interleaved; then compose html ctrl+r; interleave "$A1" "$A2"
    send_and_capture "${P}html-interleaved" interleaved html "$A1
$A2" "Ctrl+R on the HTML original; answers under each question as above; Ctrl+Return, Send"; fi

  TYPED="Adding our accounting team: the totals on 2026-0311 are wrong by one line."
  if want reply-all; then compose cc ctrl+shift+r; x_lines "$TYPED"
    send_and_capture "${P}reply-all" reply-all cc "$TYPED" "Ctrl+Shift+R (reply all) on the Cc original, type below the quote, Ctrl+Return, Send"; fi

  TYPED="FYI, this is what the vendor asked us; can you answer them?"
  if want forward-inline; then compose text ctrl+l
    x_type "$TRACKING"; x_key Return; sleep 0.5; x_key Tab Tab; sleep 0.5; x_key ctrl+Home; x_lines "$TYPED"
    send_and_capture "${P}forward-inline" forward-inline text "$TYPED" "Forward inline (mail.forward_message_mode 2), Ctrl+L, To: $TRACKING, Tab to the body, Ctrl+Home, type the note, Ctrl+Return, Send"; fi

  TYPED="Yes"
  if want one-word; then compose text ctrl+r; x_lines "$TYPED"
    send_and_capture "${P}one-word" one-word text "$TYPED" "Ctrl+R, Yes below the quote, Ctrl+Return, Send"; fi
  ;;
html-above)
  TYPED="Invoice 2026-0311 shows 1,204.50 but should be 1,104.50.
It started right after the February update."
  if want top-post; then compose text ctrl+r; x_lines "$TYPED"
    send_and_capture top-post top-post text "$TYPED" "reply_on_top=1 (Start my reply above the quote), Ctrl+R, type, Ctrl+Return, Send"; fi

  TYPED="Grüße aus Köln: die Rechnung 2026-0311 ist falsch, ça ne va pas du tout. Übrigens: 12,50 €."
  if want non-ascii; then compose text ctrl+r; x_lines "$TYPED"
    send_and_capture non-ascii non-ascii text "$TYPED" "reply above the quote, Ctrl+R, type, Ctrl+Return, Send"; fi

  TYPED="Please talk to our accountant directly, she has all the numbers."
  if want no-quote; then compose text ctrl+r; x_key ctrl+a Delete; x_lines "$TYPED"
    send_and_capture no-quote delete-quote text "$TYPED" "Ctrl+R, Ctrl+A, Delete (the quote gone), type, Ctrl+Return, Send"; fi

  TYPED="Totals are still wrong on 2026-0311, see above."
  if want new-subject; then compose text ctrl+r
    x_key alt+s; x_key ctrl+a; x_type "Still wrong: invoice 2026-0311"; x_key Tab; sleep 0.5; x_key ctrl+Home; x_lines "$TYPED"
    send_and_capture new-subject change-subject text "$TYPED" "Ctrl+R, Alt+S (subject), Ctrl+A, type the new subject, Tab, Ctrl+Home, type, Ctrl+Return, Send"; fi

  TYPED="I exported orders-march.csv; the Discount column is missing."
  if want html-top-post; then compose html ctrl+r; x_lines "$TYPED"
    send_and_capture html-top-post top-post html "$TYPED" "Ctrl+R on the HTML original, type above the quote, Ctrl+Return, Send"; fi

  TYPED="Adding our accounting team: the totals on 2026-0311 are wrong by one line."
  if want reply-all-top; then compose cc ctrl+shift+r; x_lines "$TYPED"
    send_and_capture reply-all-top reply-all cc "$TYPED" "Ctrl+Shift+R on the Cc original, type above the quote, Ctrl+Return, Send"; fi

  TYPED="Forwarding the original message as an attachment."
  if want forward-attachment; then compose text ctrl+l
    x_type "$TRACKING"; x_key Return; sleep 0.5; x_key Tab Tab; sleep 0.5; x_lines "$TYPED"
    send_and_capture forward-attachment forward-attachment text "$TYPED" "Forward as attachment (mail.forward_message_mode 0), Ctrl+L, To: $TRACKING, Tab to the body, type the note, Ctrl+Return, Send"; fi
  ;;
html-sig)
  TYPED="Invoice 2026-0311 shows 1,204.50 but should be 1,104.50."
  if want signature-top-post; then compose text ctrl+r; x_lines "$TYPED"
    send_and_capture signature-top-post signature text "$TYPED" "HTML signature (htmlSigText, sig_bottom false), reply above the quote: Ctrl+R, type, Ctrl+Return, Send"; fi
  TYPED="I exported orders-march.csv; the Discount column is missing."
  if want signature-html-top-post; then compose html ctrl+r; x_lines "$TYPED"
    send_and_capture signature-html-top-post signature html "$TYPED" "HTML signature, reply above the quote, on the HTML original: Ctrl+R, type, Ctrl+Return, Send"; fi
  ;;
esac
tb_stop
log "thunderbird $SESSION done"
