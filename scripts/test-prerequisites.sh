#!/usr/bin/env bash
# Run by `bun run test` before the tests: the programs some tests drive, installed from Debian's
# packages when missing (as root, or with sudo), else named with the command that installs them.
#   nats-server     the fault tests start, kill and restart a broker of their own
#   docker-compose  e2e/deploy.test.ts validates docker-compose.yml (no Docker engine needed)
#   chromium        apps/gateway/src/docs.test.ts proves /swagger renders offline
set -euo pipefail

missing=()
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v docker-compose >/dev/null || missing+=(docker-compose)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "$sudo" ] || sudo -n true 2>/dev/null; then
    echo "test prerequisites: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    exit 0
  fi
fi
echo "test prerequisites missing: ${missing[*]}" >&2
echo "install them (Debian/Ubuntu: sudo apt-get install -y ${missing[*]}) and run the tests again" >&2
exit 1
