#!/usr/bin/env bash
# Create the openstack_citest user and database that oslo.db's
# opportunistic test fixtures use, on PostgreSQL and MariaDB/MySQL.
# Idempotent.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
psql_admin() { psql -h "$PGHOST" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

if [ -z "$(psql_admin -c "select 1 from pg_roles where rolname='openstack_citest'")" ]; then
    psql_admin -c "create role openstack_citest login superuser password 'openstack_citest'"
fi
if [ -z "$(psql_admin -c "select 1 from pg_database where datname='openstack_citest'")" ]; then
    psql_admin -c "create database openstack_citest owner openstack_citest"
fi

mysql -uroot -h 127.0.0.1 <<'SQL'
CREATE USER IF NOT EXISTS 'openstack_citest'@'localhost' IDENTIFIED BY 'openstack_citest';
CREATE USER IF NOT EXISTS 'openstack_citest'@'%' IDENTIFIED BY 'openstack_citest';
GRANT ALL PRIVILEGES ON *.* TO 'openstack_citest'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'openstack_citest'@'%' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS openstack_citest;
FLUSH PRIVILEGES;
SQL
echo "openstack_citest ready on PostgreSQL and MySQL"
