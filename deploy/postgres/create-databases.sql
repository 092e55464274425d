-- Runs once, when the postgres volume is empty (the image's /docker-entrypoint-initdb.d).
-- One database per service: no service reads another's. The services would also create their own
-- on first start when their role may; creating them here lets a restricted role be used later.
CREATE DATABASE users;
CREATE DATABASE orders;
CREATE DATABASE notifications;
