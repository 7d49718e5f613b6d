#!/usr/bin/env bash
# The Debian packages the test suite needs, installed when missing (`make sysdeps`;
# `make test` and .ci/run both call it): Chromium for the browser tests (never a
# downloaded browser), poppler to read the PDFs we make, a CJK font to render their
# Chinese, Dovecot as the real IMAP server of the e-mail intake tests, pg_dump/pg_restore
# for the backup tests, nginx and systemd-analyze for the deployment files' tests.
# As root it installs what is missing; otherwise it stops at once and names the line to run.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils poppler-data)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need+=(fonts-wqy-microhei)
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)  # campusdesk backup on PostgreSQL
[ -x /usr/sbin/nginx ] || need+=(nginx)  # the deployment files' tests (nginx -t, X-Accel-Redirect)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)  # systemd-analyze verify of the units

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
line="apt-get install -y ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "campusdesk's tests need Debian packages that are missing. Run as root:" >&2
  echo "  apt-get update && $line" >&2
  exit 1
fi
echo "installing ${need[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
