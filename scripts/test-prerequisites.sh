#!/usr/bin/env bash
# Run by `bun run test` before the tests, and by `bun run bench` (its argument `bench` changes
# nothing: both need the same programs): the programs the tests and the bench spawn, installed from
# Debian's packages when missing (as root, or with sudo), else named with the command that installs them.
#   nats-server     the fault tests start, kill and restart a broker of their own
#   docker-compose  e2e/deploy.test.ts validates docker-compose.yml (no Docker engine needed)
#   chromium        apps/gateway/src/docs.test.ts proves /swagger renders offline; e2e/web.test.ts drives the web app
#   wrk             bench/lib/load.test.ts and the bench drive HTTP load with it
#   openssl         e2e/grpc-tls.test.ts makes a CA and certificates
#   psql            e2e/postgres-roles.test.ts runs deploy/postgres/service-databases.sh
#   pgbench, initdb bench/lib/statements.test.ts starts a private PostgreSQL with pg_stat_statements
#                   and runs the bench's SQL scripts on it; the bench's database phase (Debian ships
#                   both with the server package, postgresql-<major>, not with postgresql-client)
#   docker.io       e2e/containers.test.ts starts Debian's dockerd of its own (scripts/container-engine.ts)
#   debootstrap     ... and builds the stand-in base images on a debootstrapped Debian
#   kubectl         e2e/k8s.test.ts renders deploy/k8s with `kubectl kustomize`
set -euo pipefail

missing=()
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v docker-compose >/dev/null || missing+=(docker-compose)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v wrk >/dev/null || missing+=(wrk)
command -v openssl >/dev/null || missing+=(openssl)
command -v psql >/dev/null || missing+=(postgresql-client)
if ! pgbench --version >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  # The server package of the client's major version (postgresql-15 on Debian 12).
  major=$(apt-cache depends postgresql-client 2>/dev/null | sed -n 's/.*Depends: postgresql-client-\([0-9]*\)$/\1/p' | head -1)
  missing+=("postgresql-${major:-15}")
fi
[ -x /usr/sbin/dockerd ] || missing+=(docker.io)
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
# kubectl is not in every Debian release's main archive: asked for only where apt knows it (asked
# again after the update below, since a fresh machine's package lists may not be there yet).
want_kubectl() { command -v kubectl >/dev/null || ! apt-cache show kubectl >/dev/null 2>&1 || [[ " ${missing[*]} " == *" kubectl "* ]] || missing+=(kubectl); }
want_kubectl
[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "$sudo" ] || sudo -n true 2>/dev/null; then
    echo "prerequisites: installing ${missing[*]}"
    $sudo apt-get update -qq
    want_kubectl
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    exit 0
  fi
fi
echo "prerequisites missing: ${missing[*]}" >&2
echo "install them (Debian/Ubuntu: sudo apt-get install -y ${missing[*]}) and run the command again" >&2
exit 1
