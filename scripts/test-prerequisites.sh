#!/usr/bin/env bash
# Run by `bun run test` before the tests: the programs some tests drive, installed from Debian's
# packages when missing (as root, or with sudo), else named with the command that installs them.
#   nats-server     the fault tests start, kill and restart a broker of their own
#   docker-compose  e2e/deploy.test.ts validates docker-compose.yml (no Docker engine needed)
#   chromium        apps/gateway/src/docs.test.ts proves /swagger renders offline
#   docker.io       e2e/containers.test.ts starts Debian's dockerd of its own (scripts/container-engine.ts)
#   debootstrap     ... and builds the stand-in base images on a debootstrapped Debian
#   kubectl         e2e/k8s.test.ts renders deploy/k8s with `kubectl kustomize`
set -euo pipefail

missing=()
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v docker-compose >/dev/null || missing+=(docker-compose)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/dockerd ] || missing+=(docker.io)
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
# kubectl is not in every Debian release's main archive: asked for only where apt knows it.
command -v kubectl >/dev/null || ! apt-cache show kubectl >/dev/null 2>&1 || missing+=(kubectl)
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
