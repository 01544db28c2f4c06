#!/usr/bin/env bash
# Claws Mail 4.1.1 under Xvfb (:33), after its setup wizard was completed by hand with
# xdotool clicks (see the README: name, address, IMAP 127.0.0.1 with the username and password,
# SMTP 127.0.0.1:25, no TLS, Save; the password typed again at its prompt; INBOX clicked).
# Then, per case: claws_case ROW KEYS ID CASE ORIGINAL TYPED EDIT STEPS
#   ROW: y of the message in the list; KEYS: ctrl+r | ctrl+shift+r | ctrl+f (forward)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export DISPLAY=${DISPLAY_NUM:-:33}
VERSION="Claws Mail 4.1.1"
x_key() { xdotool key --delay 120 "$@"; sleep 0.3; }
x_type() { xdotool type --delay 40 -- "$1"; sleep 0.3; }
x_lines() { local line first=1; while IFS= read -r line; do [ $first = 1 ] || x_key Return; first=0; [ -n "$line" ] && x_type "$line"; done <<<"$1"; }
claws_case() {
  local row=$1 keys=$2 id=$3 kase=$4 original=$5 typed=$6 edit=$7 steps=$8 w
  xdotool windowfocus --sync "$(xdotool search --name 'Claws Mail 4' | head -1)"
  # A click right after a composer closed is sometimes lost: click twice.
  xdotool mousemove 500 "$row" click 1; sleep 1; xdotool mousemove 500 "$row" click 1; sleep 1; x_key "$keys"; sleep 3
  # The spell checker has no dictionary for the C locale: its error dialog is closed.
  w=$(xdotool search --name '^Error$' | tail -1 || true); [ -n "$w" ] && { xdotool windowfocus --sync "$w"; x_key Return; sleep 1; }
  w=$(xdotool search --name 'Compose message' | tail -1)
  if ! xdotool getwindowname "$w" | grep -qF "$(cookie_of "$original")"; then log "composer on the wrong message: $(xdotool getwindowname "$w")"; return 1; fi
  xdotool windowsize "$w" 1000 800; xdotool windowfocus --sync "$w"; sleep 0.5
  eval "$edit"
  import -window root "/tmp/rc-tb-shots/claws-$id.png"
  x_key ctrl+Return; sleep 3
  capture claws "$id" "$kase" "$original" "$VERSION" "$typed" "$steps"
}
