# Shared helpers for the real-client drivers (sourced, not run). A driver types into a real
# client the way a person would: terminal clients in tmux (send-keys to type, capture-pane to
# read the screen), GUI clients under Xvfb (xdotool to type and click, import to screenshot).
# Nothing here is used by npm test; see test/fixtures/real-clients/README.md.
set -euo pipefail
RC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$RC_DIR/../.." && pwd)"
RC_HOME_ROOT="${RC_HOME_ROOT:-/tmp/rc-home}"
PASSWORD=mailtrail-test
TRACKING=rc-tracking@example.test

log() { echo "rc: $*" >&2; }

# A clean home for one client, with its config files copied from scripts/real-clients/<client>/home.
client_home() {
  local client=$1 home="$RC_HOME_ROOT/$1"
  rm -rf "$home"
  mkdir -p "$home"
  if [ -d "$RC_DIR/$client/home" ]; then cp -a "$RC_DIR/$client/home/." "$home/"; fi
  cp "$RC_DIR/vimrc" "$home/.vimrc"
  echo "$home"
}

# --- tmux ---------------------------------------------------------------------------------
S=""
tm_start() { # session home command...
  S=$1; local home=$2; shift 2
  tmux kill-session -t "$S" 2>/dev/null || true
  tmux new-session -d -s "$S" -x 120 -y 45 env -i HOME="$home" TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 PATH=/usr/bin:/bin EDITOR=vim VISUAL=vim VIMINIT="source $home/.vimrc" "$@"
  sleep 1
}
tm_stop() { tmux kill-session -t "$S" 2>/dev/null || true; }
screen() { tmux capture-pane -p -t "$S"; }
# Keys by tmux name (Enter, Escape, C-x, ...), each a separate key press.
key() { for k in "$@"; do tmux send-keys -t "$S" "$k"; sleep 0.15; done; }
# Literal text, as typed.
type_text() { tmux send-keys -t "$S" -l -- "$1"; sleep 0.2; }
# Each line typed, Enter after each.
type_lines() { local line; while IFS= read -r line; do [ -n "$line" ] && type_text "$line"; key Enter; done <<<"$1"; }
wait_for() { # pattern [seconds]
  local pat=$1 secs=${2:-20} i
  for ((i = 0; i < secs * 4; i++)); do
    if screen | grep -qE -- "$pat"; then return 0; fi
    sleep 0.25
  done
  log "timed out waiting for /$pat/ on screen:"; screen >&2; return 1
}

# --- vim (the editor every terminal client opens here) -----------------------------------
# Starting in normal mode with the cursor on line 1.
vim_top_insert() { key g g O; }                       # open a line above line 1
vim_end_append() { key G o; }                         # open a line below the last one
vim_after() { key Escape; type_text "/$1"; key Enter; key o; } # open a line below the match
vim_before_sig() { key Escape G; type_text '?^-- $'; key Enter; key O; } # above "-- "
vim_wq() { key Escape; type_text ":wq"; key Enter; }
vim_delete_all() { key g g d G; }

# --- capture ------------------------------------------------------------------------------
# capture CLIENT ID CASE ORIGINAL VERSION TYPED [STEPS]
capture() {
  local client=$1 id=$2 kase=$3 original=$4 version=$5 typed=$6 steps=${7:-}
  local meta; meta=$(mktemp)
  node -e 'const [c,i,k,o,v,t,s]=process.argv.slice(1);process.stdout.write(JSON.stringify({client:c,version:v,case:k,original:o,typed:t,...(s?{steps:s}:{})},null,2))' \
    "$client" "$id" "$kase" "$original" "$version" "$typed" "$steps" >"$meta"
  (cd "$REPO" && npx tsx scripts/real-clients/capture.ts "$client/$id" "$meta")
  rm -f "$meta"
}

# The cookie of an original (by name, e.g. snail-text) from the manifest: clients show it in
# the subject, so a driver finds the message to answer by it.
cookie_of() {
  node -e 'const m=require(process.argv[1]);for(const w of m.worlds)for(const o of w.originals)if(o.name===process.argv[2])console.log(o.cookie)' \
    "$REPO/test/fixtures/real-clients/manifest.json" "$1"
}
