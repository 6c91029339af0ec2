#!/usr/bin/env bash
# Installs fieldbridge as a systemd service (issue 6; operating it: docs/operations.md).
#
#   sudo systemd/install.sh                     install under /opt/fieldbridge, enable nothing yet
#   systemd/install.sh --root /tmp/r --no-npm   stage into a temp root (tests): no user, no systemctl
#
# Layout: code in /opt/fieldbridge (with Node 24 in /opt/fieldbridge/node_modules/.bin/node), config in
# /etc/fieldbridge (the example is copied only when no gateway.json exists), secrets in
# /etc/fieldbridge/credentials (handed to the service with LoadCredential=), the queue in
# /var/lib/fieldbridge (the unit's StateDirectory, created by systemd), the unit in /etc/systemd/system.
set -euo pipefail

usage() {
  cat <<USAGE
usage: install.sh [--root DIR] [--no-npm] [--no-user] [--no-systemctl]
  --root DIR      install below DIR instead of / (also: DESTDIR=DIR); implies --no-user --no-systemctl
  --no-npm        copy the code only, do not run npm (node_modules must be provided another way)
  --no-user       do not create the fieldbridge system user
  --no-systemctl  do not run systemctl daemon-reload
USAGE
}

root="${DESTDIR:-}"
npm_install=1
create_user=1
run_systemctl=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a directory}"; shift 2 ;;
    --root=*) root="${1#--root=}"; shift ;;
    --no-npm) npm_install=0; shift ;;
    --no-user) create_user=0; shift ;;
    --no-systemctl) run_systemctl=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
root="${root%/}"
if [ -n "$root" ]; then
  # A staging root must never create users or reload the host's systemd.
  create_user=0
  run_systemctl=0
fi

src="$(cd "$(dirname "$0")/.." && pwd)"
app="$root/opt/fieldbridge"
etc="$root/etc/fieldbridge"
unit_dir="$root/etc/systemd/system"
sysusers_dir="$root/usr/lib/sysusers.d"

echo "install.sh: installing fieldbridge from $src into ${root:-/}"
install -d -m 0755 "$app" "$unit_dir" "$sysusers_dir"
# Replace the code as a whole so files deleted upstream do not linger; node_modules is kept to save a
# download when the lockfile did not change (npm ci replaces it anyway when it runs).
# The source folders are tsconfig.json's include less test/ and bench/ (as packaging/ takes them).
for part in bin core gateway drivers mappings simulators docs; do
  rm -rf "${app:?}/$part"
  if [ -d "$src/$part" ]; then cp -R "$src/$part" "$app/$part"; fi
done
install -m 0644 "$src/package.json" "$src/package-lock.json" "$src/.npmrc" "$app/"
if [ -f "$src/README.md" ]; then install -m 0644 "$src/README.md" "$app/"; fi

if [ "$npm_install" = 1 ]; then
  (
    cd "$app"
    npm ci --omit=dev --no-audit --no-fund
    # Node 24 itself is the `node` npm package, a production dependency: `npm ci` above put it at
    # node_modules/.bin/node, where the unit's ExecStart expects it, whatever node the machine has.
    if [ ! -x node_modules/.bin/node ]; then
      echo "install.sh: node_modules/.bin/node missing after npm ci (is \"node\" still in dependencies?)" >&2
      exit 1
    fi
    node_modules/.bin/node --version
  )
fi

install -d -m 0750 "$etc" "$etc/mappings"
install -d -m 0700 "$etc/credentials"
if [ ! -e "$etc/gateway.json" ]; then
  # The example names its mapping relative to the source tree; here mappings live beside the config.
  sed -e 's#"\.\./\.\./\.\./mappings/examples/#"mappings/#' \
      -e 's#"\$schema": *"[^"]*"#"$schema": "/opt/fieldbridge/gateway/config/gateway.schema.json"#' \
      "$src/gateway/config/examples/gateway.json" > "$etc/gateway.json"
  chmod 0640 "$etc/gateway.json"
  echo "install.sh: wrote example config $etc/gateway.json: edit it before starting the service"
else
  echo "install.sh: kept existing $etc/gateway.json"
fi
for mapping in "$src"/mappings/examples/*.json; do
  target="$etc/mappings/$(basename "$mapping")"
  [ -e "$target" ] || install -m 0640 "$mapping" "$target"
done
# LoadCredential= fails the start when its file is missing: an empty placeholder keeps a config without
# a password working, and one that names the credential gets a clear "is empty" error.
[ -e "$etc/credentials/mqtt-password" ] || install -m 0600 /dev/null "$etc/credentials/mqtt-password"

install -m 0644 "$src/systemd/fieldbridge.service" "$unit_dir/fieldbridge.service"
install -m 0644 "$src/systemd/fieldbridge.sysusers" "$sysusers_dir/fieldbridge.conf"

if [ "$create_user" = 1 ]; then
  if command -v systemd-sysusers >/dev/null; then
    systemd-sysusers fieldbridge.conf
  elif ! id fieldbridge >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/fieldbridge --no-create-home --shell /usr/sbin/nologin \
      --groups dialout fieldbridge
  fi
  chgrp -R fieldbridge "$etc"
fi
if [ "$run_systemctl" = 1 ]; then
  systemctl daemon-reload
  echo "install.sh: done. Edit $etc/gateway.json, then: systemctl enable --now fieldbridge"
else
  echo "install.sh: done (staged into ${root:-/}; no systemctl)"
fi
