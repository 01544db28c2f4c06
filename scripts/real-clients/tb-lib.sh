# Thunderbird under Xvfb: start/stop, xdotool helpers, screenshots (sourced by thunderbird.sh).
DISPLAY_NUM=${DISPLAY_NUM:-:32}
export DISPLAY=$DISPLAY_NUM
TB_HOME="$RC_HOME_ROOT/thunderbird"
TB_PROFILE="$TB_HOME/profile"
SHOTS="${SHOTS:-/tmp/rc-tb-shots}"
tb_start() {
  rm -rf "$TB_HOME"; mkdir -p "$TB_PROFILE" "$SHOTS"
  cp "$RC_DIR/thunderbird/user.js" "$TB_PROFILE/user.js"
  Xvfb "$DISPLAY_NUM" -screen 0 1280x900x24 -nolisten tcp >/tmp/rc-xvfb.log 2>&1 &
  XVFB_PID=$!
  sleep 1.5
  HOME="$TB_HOME" thunderbird --no-remote --profile "$TB_PROFILE" >/tmp/rc-tb.log 2>&1 &
  TB_PID=$!
}
tb_stop() { kill "$TB_PID" 2>/dev/null || true; sleep 2; kill "$XVFB_PID" 2>/dev/null || true; }
shot() { import -window root "$SHOTS/$1.png"; }
x_key() { xdotool key --delay 120 "$@"; sleep 0.3; }
x_type() { xdotool type --delay 40 -- "$1"; sleep 0.3; }
x_lines() { local line first=1; while IFS= read -r line; do [ $first = 1 ] || x_key Return; first=0; [ -n "$line" ] && x_type "$line"; done <<<"$1"; }
# Waits until a window whose name matches the pattern exists; prints its id.
x_wait() {
  local pat=$1 secs=${2:-30} i id
  for ((i = 0; i < secs * 2; i++)); do
    id=$(xdotool search --name -- "$pat" 2>/dev/null | tail -1 || true)
    if [ -n "$id" ]; then echo "$id"; return 0; fi
    sleep 0.5
  done
  log "no window /$pat/"; return 1
}
x_windows() { xdotool search --name '.' 2>/dev/null | while read -r w; do echo "$w $(xdotool getwindowname "$w" 2>/dev/null)"; done | grep -v ' $' ; }
