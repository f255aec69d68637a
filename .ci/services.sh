#!/usr/bin/env bash
# Make sure the servers the functional tests use are running: PostgreSQL,
# MariaDB, RabbitMQ and Redis. Starts any that is down, waits until each
# answers, and fails loudly when one cannot be started. Idempotent.
set -uo pipefail

wait_for() {
    local name=$1 tries=$2; shift 2
    for _ in $(seq "$tries"); do
        if "$@" >/dev/null 2>&1; then
            echo "$name is up"
            return 0
        fi
        sleep 1
    done
    echo "ERROR: $name did not come up" >&2
    return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

rc=0
if ! pg_isready -h 127.0.0.1 -q; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort | tail -n 1)" main start
fi
wait_for PostgreSQL 30 pg_isready -h 127.0.0.1 -q || rc=1

if ! mysqladmin -h 127.0.0.1 -uroot ping >/dev/null 2>&1; then
    echo "starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
wait_for MariaDB 30 mysqladmin -h 127.0.0.1 -uroot ping || rc=1

if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    echo "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
        --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_for Redis 30 redis-cli -h 127.0.0.1 ping || rc=1

if ! port_open 5672; then
    echo "starting RabbitMQ"
    rabbitmq-server -detached
fi
wait_for RabbitMQ 90 port_open 5672 || rc=1

exit $rc
