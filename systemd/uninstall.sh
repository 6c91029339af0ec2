#!/usr/bin/env bash
# Removes fieldbridge's code and unit. Config (/etc/fieldbridge) and the queue (/var/lib/fieldbridge)
# are kept, so a reinstall continues where it stopped, unless --purge is given. The system user is kept
# too (files may still be owned by it); remove it by hand after --purge if wanted.
#
#   sudo systemd/uninstall.sh [--purge]
#   systemd/uninstall.sh --root /tmp/r [--purge]   (tests: no systemctl)
set -euo pipefail

root="${DESTDIR:-}"
purge=0
run_systemctl=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a directory}"; shift 2 ;;
    --root=*) root="${1#--root=}"; shift ;;
    --purge) purge=1; shift ;;
    --no-systemctl) run_systemctl=0; shift ;;
    -h|--help) echo "usage: uninstall.sh [--root DIR] [--purge] [--no-systemctl]"; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
root="${root%/}"
[ -n "$root" ] && run_systemctl=0

if [ "$run_systemctl" = 1 ]; then
  systemctl disable --now fieldbridge.service 2>/dev/null || true
fi
rm -f "$root/etc/systemd/system/fieldbridge.service" "$root/usr/lib/sysusers.d/fieldbridge.conf"
rm -rf "$root/opt/fieldbridge"
# The compile cache (the unit's CacheDirectory) belongs to the code: it goes with it.
rm -rf "$root/var/cache/fieldbridge"
if [ "$purge" = 1 ]; then
  rm -rf "$root/etc/fieldbridge" "$root/var/lib/fieldbridge"
  echo "uninstall.sh: removed code, unit, config and queue"
else
  echo "uninstall.sh: removed code and unit; kept $root/etc/fieldbridge and $root/var/lib/fieldbridge (--purge removes them)"
fi
[ "$run_systemctl" = 1 ] && systemctl daemon-reload
exit 0
