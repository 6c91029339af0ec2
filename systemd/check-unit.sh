#!/usr/bin/env bash
# CI check for the unit (issue 6): `systemd-analyze verify` on the unit as installed into a temp root
# (its paths pointed there, the project's Node 24 standing in for the npm-installed one), and the offline
# security score, failing above MAX_EXPOSURE.
set -euo pipefail
MAX_EXPOSURE="${MAX_EXPOSURE:-2.0}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

bash "$repo/systemd/install.sh" --root "$root" --no-npm >/dev/null
install -d "$root/opt/fieldbridge/node_modules/.bin"
ln -s "$repo/node_modules/.bin/node" "$root/opt/fieldbridge/node_modules/.bin/node"
install -d "$root/verify"
sed "s#/opt/fieldbridge#$root/opt/fieldbridge#g" "$root/etc/systemd/system/fieldbridge.service" \
  > "$root/verify/fieldbridge.service"
systemd-analyze verify "$root/verify/fieldbridge.service"
echo "check-unit: systemd-analyze verify: ok"

exposure="$(systemd-analyze security --offline=true --no-pager "$repo/systemd/fieldbridge.service" |
  sed -n 's/.*Overall exposure level for fieldbridge\.service: \([0-9.]*\).*/\1/p')"
if [ -z "$exposure" ]; then
  echo "check-unit: could not read the exposure level" >&2
  exit 1
fi
if awk -v e="$exposure" -v max="$MAX_EXPOSURE" 'BEGIN { exit !(e > max) }'; then
  echo "check-unit: security exposure $exposure is above $MAX_EXPOSURE" >&2
  exit 1
fi
echo "check-unit: security exposure $exposure (at most $MAX_EXPOSURE): ok"
