#!/usr/bin/env bash
# Real mail peers for Mailtrail's email tests: Postfix (SMTP on 127.0.0.1:25) delivering over
# LMTP into Dovecot (POP3 110/STLS + 995, IMAP 143/STARTTLS + 993), for the domain example.test.
# Any address at example.test is a mailbox; every account's password is the same test password.
# Mail to any other domain is rejected at RCPT TO (554 Relay access denied) and nothing is ever
# relayed off this machine.
#
# Run as root. Idempotent: re-running rewrites the configuration and restarts both daemons.
# There is no systemd on the test machines, so the daemons are started directly.
#   scripts/mail-peers.sh          install if missing, configure, (re)start, probe
#   scripts/mail-peers.sh stop     stop both daemons
# Logs: /var/log/mailtrail-peers/{dovecot,postfix}.log
set -euo pipefail

DOMAIN=example.test
PASSWORD=mailtrail-test
VMAIL_USER=vmail
CONF_DIR=/etc/dovecot/mailtrail
MAIL_DIR=/var/lib/mailtrail-peers/mail
LOG_DIR=/var/log/mailtrail-peers
# The tests' OAuth2 authorization server (test/support/authServer.ts AUTH_SERVER_PORT): Dovecot
# introspects tokens there.
OAUTH_PORT=47810
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TEMPLATES="$HERE/mail-peers"

log() { echo "mail-peers: $*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"

stop_dovecot() {
  if [ -x /usr/sbin/dovecot ] && pgrep -x dovecot >/dev/null 2>&1; then
    doveadm stop >/dev/null 2>&1 || true
    # doveadm stop returns before every child has exited; the ports must be free for the restart.
    for _ in $(seq 1 50); do pgrep -x dovecot >/dev/null 2>&1 || break; sleep 0.1; done
    if pgrep -x dovecot >/dev/null 2>&1; then
      kill "$(cat /run/dovecot/master.pid 2>/dev/null)" 2>/dev/null || true
      sleep 1
    fi
  fi
}

stop_postfix() {
  if [ -x /usr/sbin/postfix ] && postfix status >/dev/null 2>&1; then
    postfix stop >/dev/null 2>&1 || true
    for _ in $(seq 1 50); do postfix status >/dev/null 2>&1 || break; sleep 0.1; done
  fi
}

if [ "${1:-}" = "stop" ]; then
  stop_postfix
  stop_dovecot
  log "stopped"
  exit 0
fi

# --- install ------------------------------------------------------------------------------
# dovecot-lmtpd is the LMTP server Postfix delivers into; openssl makes the certificate.
packages=(postfix dovecot-pop3d dovecot-imapd dovecot-lmtpd openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  # Preseed so postfix's package setup asks nothing and writes no configuration of its own.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "postfix postfix/mailname string mail.$DOMAIN" | debconf-set-selections
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- stop what runs, so the restart picks up every change ----------------------------------
stop_postfix
stop_dovecot

# --- users, folders, certificate -----------------------------------------------------------
id "$VMAIL_USER" >/dev/null 2>&1 ||
  useradd --system --user-group --home-dir "$MAIL_DIR" --no-create-home --shell /usr/sbin/nologin "$VMAIL_USER"
install -d -m 0755 "$LOG_DIR" "$CONF_DIR"
install -d -o "$VMAIL_USER" -g "$VMAIL_USER" -m 0750 "$MAIL_DIR"
# Dovecot's log is read by tests (as any user) when they fail.
touch "$LOG_DIR/dovecot.log" "$LOG_DIR/postfix.log"
chmod 0644 "$LOG_DIR/dovecot.log" "$LOG_DIR/postfix.log"

if [ ! -s "$CONF_DIR/cert.pem" ] || [ ! -s "$CONF_DIR/key.pem" ] ||
  ! openssl x509 -checkend 86400 -noout -in "$CONF_DIR/cert.pem" >/dev/null 2>&1; then
  log "generating a self-signed certificate in $CONF_DIR"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -subj "/CN=mail.$DOMAIN" \
    -addext "subjectAltName=DNS:mail.$DOMAIN,DNS:localhost,IP:127.0.0.1" \
    -keyout "$CONF_DIR/key.pem" -out "$CONF_DIR/cert.pem" >/dev/null 2>&1
fi
chmod 0600 "$CONF_DIR/key.pem"
chmod 0644 "$CONF_DIR/cert.pem"

render() {
  sed -e "s|@DOMAIN@|$DOMAIN|g" -e "s|@PASSWORD@|$PASSWORD|g" -e "s|@VMAIL_USER@|$VMAIL_USER|g" \
    -e "s|@CONF_DIR@|$CONF_DIR|g" -e "s|@MAIL_DIR@|$MAIL_DIR|g" -e "s|@LOG_DIR@|$LOG_DIR|g" -e "s|@OAUTH_PORT@|$OAUTH_PORT|g" "$1"
}

# --- Dovecot --------------------------------------------------------------------------------
[ -e /etc/dovecot/dovecot.conf.orig-mailtrail ] || cp /etc/dovecot/dovecot.conf /etc/dovecot/dovecot.conf.orig-mailtrail 2>/dev/null || true
render "$TEMPLATES/dovecot.conf" >/etc/dovecot/dovecot.conf
render "$TEMPLATES/dovecot-oauth2.conf.ext" >"$CONF_DIR/dovecot-oauth2.conf.ext"
doveconf -n >/dev/null || die "dovecot rejected its configuration (doveconf -n)"

# --- Postfix --------------------------------------------------------------------------------
[ -e /etc/postfix/main.cf.orig-mailtrail ] || cp /etc/postfix/main.cf /etc/postfix/main.cf.orig-mailtrail 2>/dev/null || true
render "$TEMPLATES/postfix-main.cf" >/etc/postfix/main.cf
# Debian runs most services chrooted and relies on its init script to copy /etc files into the
# chroot; without that script (no systemd here) chrooted daemons misbehave, so run none chrooted.
postconf -F '*/*/chroot = n'
# The postlog service (Debian's master.cf has it) is what writes maillog_file.
postconf -M postlog/unix-dgram >/dev/null 2>&1 ||
  postconf -Me 'postlog/unix-dgram = postlog unix-dgram n - n - 1 postlogd'
# Submission (587) with SMTP AUTH through Dovecot's SASL (password and XOAUTH2/OAUTHBEARER);
# port 25 stays as it was, without AUTH. Loopback only, like everything here.
postconf -Me 'submission/inet = submission inet n - n - - smtpd'
postconf -P 'submission/inet/smtpd_sasl_auth_enable=yes' 'submission/inet/smtpd_sasl_type=dovecot' \
  'submission/inet/smtpd_sasl_path=private/auth' 'submission/inet/smtpd_tls_security_level=may' \
  'submission/inet/smtpd_relay_restrictions=permit_sasl_authenticated,reject_unauth_destination'
postfix check || die "postfix rejected its configuration (postfix check)"

# --- start ----------------------------------------------------------------------------------
# Dovecot first: it creates the LMTP socket Postfix delivers into. The daemons get no stdio of
# ours: one that kept our stdout open would hang whoever reads this script's output to the end
# ($(...), a pipe into tee, a CI runner).
dovecot </dev/null >>"$LOG_DIR/dovecot.log" 2>&1 || die "dovecot did not start; see $LOG_DIR/dovecot.log"
postfix start </dev/null >>"$LOG_DIR/postfix.log" 2>&1 || die "postfix did not start; see $LOG_DIR/postfix.log"

# --- probe ----------------------------------------------------------------------------------
# Each peer must greet; a peer is left with its own logout command so its log stays quiet.
greets_plain() { # port expected-prefix logout-command
  local line=''
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  IFS= read -r -t 3 line <&3 || true
  printf '%s\r\n' "$3" >&3 2>/dev/null || true
  exec 3<&-
  [[ "$line" == "$2"* ]]
}
greets_tls() { # port expected-prefix logout-command
  local line
  # -quiet ignores end of input, so the logout command is what makes the server close.
  line="$(printf '%s\r\n' "$3" | timeout 5 openssl s_client -quiet -connect "127.0.0.1:$1" 2>/dev/null | head -n 1 || true)"
  [[ "$line" == "$2"* ]]
}
probe_all() {
  failed=()
  greets_plain 25 '220' QUIT 2>/dev/null || failed+=("smtp:25")
  greets_plain 587 '220' QUIT 2>/dev/null || failed+=("submission:587")
  greets_plain 110 '+OK' QUIT 2>/dev/null || failed+=("pop3:110")
  greets_tls 995 '+OK' QUIT || failed+=("pop3s:995")
  greets_plain 143 '* OK' 'a LOGOUT' 2>/dev/null || failed+=("imap:143")
  greets_tls 993 '* OK' 'a LOGOUT' || failed+=("imaps:993")
  [ "${#failed[@]}" -eq 0 ]
}
# Bounded by time, not tries: a port that accepts but never greets costs seconds per probe.
deadline=$((SECONDS + 20))
until probe_all; do
  [ "$SECONDS" -lt "$deadline" ] || break
  sleep 0.5
done
if [ "${#failed[@]}" -gt 0 ]; then
  log "not answering: ${failed[*]}"
  tail -n 20 "$LOG_DIR/dovecot.log" "$LOG_DIR/postfix.log" >&2 || true
  exit 1
fi

echo "mail-peers: ok — domain $DOMAIN, password $PASSWORD; smtp 127.0.0.1:25, submission 587 (SMTP AUTH incl. XOAUTH2), pop3 110 (STLS) + 995 (TLS), imap 143 (STARTTLS) + 993 (TLS); logs $LOG_DIR"
