# Stand-in for postgres:17: Debian's PostgreSQL (15 in bookworm) behind an entrypoint that does what
# docker-compose.yml uses of the official image: POSTGRES_USER/POSTGRES_PASSWORD, the data directory
# /var/lib/postgresql/data, *.sql in /docker-entrypoint-initdb.d on first start, pg_isready.
FROM evented-stand-in/debian:bookworm
RUN mkdir -p /etc/postgresql-common && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf \
 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /docker-entrypoint-initdb.d /var/run/postgresql && chown postgres /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
EXPOSE 5432
STOPSIGNAL SIGINT
CMD ["postgres"]
