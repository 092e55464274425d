#!/usr/bin/env bash
# One login role and one database per service; each role owns its database and nothing else (no
# superuser, CREATEDB or CREATEROLE), and no other role, PUBLIC included, may connect to that
# database: no service can read another's.
#   service-databases.sh               every service's, with passwords from USER_DB_PASSWORD,
#                                      ORDER_DB_PASSWORD, NOTIFICATION_DB_PASSWORD: what the postgres
#                                      container runs once, on an empty volume (docker-entrypoint-initdb.d)
#   SERVICE_ROLE=r SERVICE_DATABASE=d DB_PASSWORD=... service-databases.sh   just that one
# (settings, not arguments: the image's entrypoint may source this file with arguments of its own)
# Passwords come from the environment only (an argument would show in `ps`); psql's connection
# from the usual PG* variables (in the container: its own superuser over the local socket).
# Safe to run again: what exists stays, the password is set anew.
set -euo pipefail

create() {
  local role="$1" database="$2" password="$3"
  psql -v ON_ERROR_STOP=1 -q -v role="$role" -v database="$database" -v password="$password" --username "${PGUSER:-${POSTGRES_USER:-postgres}}" --dbname postgres <<'SQL'
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') AS create_role \gset
\if :create_role
  CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
\endif
ALTER ROLE :"role" PASSWORD :'password';
SELECT NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'database') AS create_database \gset
\if :create_database
  CREATE DATABASE :"database" OWNER :"role";
\endif
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"role";
\connect :"database"
ALTER SCHEMA public OWNER TO :"role";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SQL
}

if [ -n "${SERVICE_ROLE:-}" ]; then
  create "$SERVICE_ROLE" "${SERVICE_DATABASE:?set SERVICE_DATABASE}" "${DB_PASSWORD:?set DB_PASSWORD to the password of the role}"
else
  create user_service users "${USER_DB_PASSWORD:?set USER_DB_PASSWORD (see .env.example)}"
  create order_service orders "${ORDER_DB_PASSWORD:?set ORDER_DB_PASSWORD (see .env.example)}"
  create notification_service notifications "${NOTIFICATION_DB_PASSWORD:?set NOTIFICATION_DB_PASSWORD (see .env.example)}"
  # (bun run new service adds its line above this one)
fi
