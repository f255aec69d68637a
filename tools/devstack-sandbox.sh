#!/bin/bash
#
# Run the DevStack plugin's phases with DevStack's own function library,
# the way stack.sh, unstack.sh and clean.sh run them, in a sandbox directory
# and against this machine's PostgreSQL, RabbitMQ and Redis: the
# configuration is generated, the database created and migrated, the API
# started under uWSGI and waited for, the agent started, then both stopped
# and everything removed.
#
# Calling a function that neither DevStack nor the plugin defines fails the
# run, as it would abort stack.sh. Only what needs the whole cloud or would
# change this machine is replaced, each call written to calls.log and
# checked at the end: packages and system services (install_package,
# restart_service, pip), systemd (run_process, stop_process), Apache and
# the openstack client that registers the Keystone service and endpoint.
#
# DevStack is read from ../shared/vendor/devstack beside the repository,
# else /work/shared/vendor/devstack (DEVSTACK_DIR overrides both). Usage: tools/devstack-sandbox.sh

set -o errexit
set -o pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# A clone made elsewhere on the same machine finds it at the conventional
# place, as the public traces are found (kcloud_analyzer/common/datasets.py).
if [[ -z ${DEVSTACK_DIR:-} ]]; then
    for candidate in "$REPO/../shared/vendor/devstack" /work/shared/vendor/devstack; do
        if [[ -f $candidate/functions && -f $candidate/stackrc ]]; then
            DEVSTACK_DIR=$candidate
            break
        fi
    done
fi
DEVSTACK_DIR=${DEVSTACK_DIR:-$REPO/../shared/vendor/devstack}
if [[ ! -f $DEVSTACK_DIR/functions || ! -f $DEVSTACK_DIR/stackrc ]]; then
    echo "devstack-sandbox: DevStack's function library is not at $DEVSTACK_DIR" >&2
    echo "  (expected ../shared/vendor/devstack beside the repository or /work/shared/vendor/devstack, or set DEVSTACK_DIR)" >&2
    exit 2
fi
DEVSTACK_DIR=$(cd "$DEVSTACK_DIR" && pwd)
VENV_BIN=${VENV_BIN:-$REPO/.venv/bin}
if [[ ! -x $VENV_BIN/kcloud-analyzer-dbsync ]]; then
    echo "devstack-sandbox: $VENV_BIN has no kcloud-analyzer; run 'make dev' first" >&2
    exit 2
fi
# What stack.sh installs itself: uWSGI (install_apache_uwsgi), the
# PostgreSQL driver of DevStack's connection URLs (install_database_python)
# and the memcached client of auth_token's cache (install_keystone).
if [[ ! -x $VENV_BIN/uwsgi ]]; then
    "$VENV_BIN/pip" install -q uwsgi
fi
if ! "$VENV_BIN/python" -c 'import psycopg, memcache' 2>/dev/null; then
    "$VENV_BIN/pip" install -q 'psycopg[binary]' python-memcached
fi

# A private mount namespace: what DevStack writes under /etc/tmpfiles.d for
# uWSGI's sockets stays in the sandbox.
if [[ -z "${_DEVSTACK_SANDBOX_NS:-}" ]] && unshare -m true 2>/dev/null; then
    exec unshare -m --propagation private env _DEVSTACK_SANDBOX_NS=1 bash "$0" "$@"
fi

SANDBOX=$(mktemp -d /tmp/kcloud-devstack.XXXXXX)
CALLS=$SANDBOX/calls.log
UNDEFINED=$SANDBOX/undefined.log
touch $CALLS $UNDEFINED
if [[ -n "${_DEVSTACK_SANDBOX_NS:-}" ]]; then
    mount -t tmpfs devstack-sandbox /etc/tmpfiles.d
fi
SUFFIX=$(basename $SANDBOX | tr -cd 'a-zA-Z0-9' | tr 'A-Z' 'a-z')
VHOST=$SUFFIX

function _sandbox_fail {
    echo "devstack-sandbox: FAILED: $*" >&2
    for log in $SANDBOX/logs/*.log; do
        [[ -f $log ]] || continue
        echo "---- $log (last 40 lines)" >&2
        tail -n 40 $log >&2
    done
    exit 1
}

# Every command that is neither a function nor on PATH lands here, also
# inside $(...) and conditions where errexit does not apply.
MAIN_PID=$$
trap '_sandbox_fail "undefined: $(sort -u $UNDEFINED | tr "\n" " ")"' USR1
function command_not_found_handle {
    echo "$1" >> $UNDEFINED
    echo "devstack-sandbox: undefined function or command: $1" \
        "(called from ${FUNCNAME[*]:1})" >&2
    kill -USR1 $MAIN_PID
    return 127
}

function _record {
    echo "$*" >> $CALLS
}

function _cleanup {
    local pidfile
    for pidfile in $SANDBOX/pids/*; do
        [[ -f $pidfile ]] || continue
        kill -- -$(cat $pidfile) 2>/dev/null || true
    done
    if rabbitmqctl -q list_vhosts 2>/dev/null | grep -qx "$VHOST"; then
        rabbitmqctl -q delete_vhost "$VHOST" >/dev/null 2>&1 || true
    fi
    redis-cli --scan --pattern "*$SUFFIX*" 2>/dev/null | while read -r key; do
        redis-cli del "$key" >/dev/null 2>&1 || true
    done
    PGPASSWORD=$DATABASE_PASSWORD psql -h $DATABASE_HOST -U $DATABASE_USER -d template1 \
        -qc "DROP DATABASE IF EXISTS $KCLOUD_ANALYZER_DB_NAME" >/dev/null 2>&1 || true
    if [[ -z "${KEEP_SANDBOX:-}" ]]; then
        rm -rf $SANDBOX
    else
        echo "devstack-sandbox: kept $SANDBOX"
    fi
}
trap _cleanup EXIT

# Root already, as stack.sh's sudo would make the commands.
function sudo {
    while [[ "$1" == -* ]]; do
        case "$1" in
            -u|-g) shift 2 ;;
            *) shift ;;
        esac
    done
    "$@"
}

# --- stack.sh: function library, stackrc, local.conf's localrc ------------
TOP_DIR=$DEVSTACK_DIR
source $TOP_DIR/functions
source $TOP_DIR/lib/stack
GetDistro
source $TOP_DIR/stackrc

# What local.conf would say for this sandbox.
DEST=$SANDBOX/opt
DATA_DIR=$DEST/data
SERVICE_DIR=$DEST/status
STACK_USER=$(id -un)
SERVICE_HOST=127.0.0.1
HOST_IP=127.0.0.1
SERVICE_PASSWORD=sandbox-service-password
ENABLED_SERVICES=key,rabbit,postgresql,n-api,n-cpu,q-svc,horizon,ceilometer-anotification
DATABASE_HOST=127.0.0.1
DATABASE_USER=openstack_citest
DATABASE_PASSWORD=openstack_citest
RABBIT_HOST=127.0.0.1
RABBIT_USERID=guest
RABBIT_PASSWORD=guest
KCLOUD_ANALYZER_CONF_DIR=$SANDBOX/etc/kcloud-analyzer
KCLOUD_ANALYZER_DB_NAME=kcloud_analyzer_$SUFFIX
KCLOUD_ANALYZER_UWSGI_HTTP=127.0.0.1:$(get_random_port)
KCLOUD_ANALYZER_COLLECTORS=replay
KCLOUD_ANALYZER_METERING_TOPIC=metering_$SUFFIX
KCLOUD_ANALYZER_NOTIFICATION_TOPICS=notifications_$SUFFIX,$KCLOUD_ANALYZER_METERING_TOPIC
API_WORKERS=2
# A loaded CI machine imports the analytics stack slowly.
SERVICE_TIMEOUT=240
export PGPASSWORD=$DATABASE_PASSWORD
mkdir -p $DEST $DATA_DIR $SANDBOX/logs $SANDBOX/pids
ln -s $REPO $DEST/kcloud-analyzer
enable_plugin kcloud-analyzer $REPO

source $TOP_DIR/lib/database
source $TOP_DIR/lib/rpc_backend
source $TOP_DIR/lib/apache
source $TOP_DIR/lib/tls
source $TOP_DIR/lib/infra
source $TOP_DIR/lib/libraries
source $TOP_DIR/lib/horizon
source $TOP_DIR/lib/keystone
source $TOP_DIR/lib/nova
source $TOP_DIR/lib/placement

# Set by those libraries for /etc and /opt/stack; moved into the sandbox.
HORIZON_DIR=$DEST/horizon
NOVA_CONF=$SANDBOX/etc/nova/nova.conf
NOVA_CPU_CONF=$SANDBOX/etc/nova/nova-cpu.conf
NEUTRON_CONF=$SANDBOX/etc/neutron/neutron.conf
CEILOMETER_CONF_DIR=$SANDBOX/etc/ceilometer
CEILOMETER_CONF=$CEILOMETER_CONF_DIR/ceilometer.conf

# --- the parts of the cloud that other phases and projects would provide --
mkdir -p $HORIZON_DIR/openstack_dashboard/local/enabled $SANDBOX/etc/nova $CEILOMETER_CONF_DIR
mkdir -p $SANDBOX/etc/neutron
printf '[DEFAULT]\n' > $NEUTRON_CONF
printf '[DEFAULT]\n' > $NOVA_CONF
printf '[DEFAULT]\n' > $NOVA_CPU_CONF
printf '[DEFAULT]\n' > $CEILOMETER_CONF
# The shape of Ceilometer's own ceilometer/pipeline/data/pipeline.yaml.
cat > $CEILOMETER_CONF_DIR/pipeline.yaml <<'EOF'
---
sources:
    - name: meter_source
      meters:
          - "*"
      sinks:
          - meter_sink
sinks:
    - name: meter_sink
      publishers:
          - gnocchi://
EOF

# --- replaced: the whole-cloud and machine-changing boundary --------------
function install_package {
    _record install_package "$@"
}
function restart_service {
    _record restart_service "$@"
}
function pip_install {
    _record pip_install "$@"
}
function pip_install_gr {
    _record pip_install_gr "$@"
}
function setup_develop {
    _record setup_develop "$@"
    [[ -f $1/setup.cfg ]] || _sandbox_fail "setup_develop: $1 is no Python project"
}
function get_python_exec_prefix {
    echo $VENV_BIN
}
function systemd-tmpfiles {
    _record systemd-tmpfiles "$@"
}
function enable_apache_site {
    _record enable_apache_site "$@"
}
function disable_apache_site {
    _record disable_apache_site "$@"
}
function restart_apache_server {
    _record restart_apache_server "$@"
}
# A Keystone with nothing registered yet: lists find nothing, shows fail,
# creations return an id.
function openstack {
    _record openstack "$@"
    if [[ " $* " == *" create "* ]]; then
        echo "sandbox-id-$RANDOM"
    elif [[ " $* " == *" show "* ]]; then
        return 1
    fi
}
function run_process {
    local service command
    service=$1
    command=$2
    is_service_enabled $service || return 0
    _record run_process "$service" "$command"
    setsid bash -c "exec $command" > $SANDBOX/logs/$service.log 2>&1 &
    echo $! > $SANDBOX/pids/$service
}
function stop_process {
    local service=$1
    _record stop_process "$service"
    if [[ -f $SANDBOX/pids/$service ]]; then
        # As systemctl stop: SIGTERM, then SIGKILL after a grace period.
        local group
        group=$(cat $SANDBOX/pids/$service)
        kill -- -$group 2>/dev/null || true
        local deadline
        deadline=$((SECONDS + 30))
        while kill -0 -- -$group 2>/dev/null && ((SECONDS < deadline)); do
            sleep 1
        done
        kill -KILL -- -$group 2>/dev/null || true
        rm -f $SANDBOX/pids/$service
    fi
}
export PATH=$VENV_BIN:$PATH
PYTHON=$VENV_BIN/python

# --- the phases -------------------------------------------------------------
run_phase source
initialize_database_backends || _sandbox_fail "no database backend enabled"
define_database_baseurl

for phase in pre-install install post-config test-config; do
    echo "== stack $phase"
    run_phase stack $phase
done
# What local.conf's [[post-config|$KCLOUD_ANALYZER_CONF]] would add: this
# run keeps to a RabbitMQ virtual host, a listener pool and a coordination
# group of its own, on the broker and Redis that other tests share.
DEVSTACK_TRANSPORT_URL=$(iniget $KCLOUD_ANALYZER_CONF DEFAULT transport_url)
rabbitmqctl -q add_vhost $VHOST
rabbitmqctl -q set_permissions -p $VHOST $RABBIT_USERID '.*' '.*' '.*'
iniset $KCLOUD_ANALYZER_CONF DEFAULT transport_url "$DEVSTACK_TRANSPORT_URL$VHOST"
iniset $KCLOUD_ANALYZER_CONF notification pool kcloud-analyzer-$SUFFIX
iniset $KCLOUD_ANALYZER_CONF agent coordination_group kcloud-analyzer-agents-$SUFFIX
echo "== stack extra"
run_phase stack extra
[[ -s $UNDEFINED ]] && _sandbox_fail "undefined: $(sort -u $UNDEFINED)"

# --- what a stacked kcloud-analyzer looks like -----------------------------
function expect {
    local what=$1
    shift
    if ! "$@"; then
        _sandbox_fail "$what"
    fi
    echo "ok: $what"
}
# Up to 240 s: the agent imports the analytics stack before it joins.
function eventually {
    local deadline
    deadline=$((SECONDS + 240))
    until "$@"; do
        if ((SECONDS > deadline)); then
            return 1
        fi
        sleep 2
    done
}
function conf_is {
    [[ "$(iniget $1 $2 $3)" == "$4" ]]
}

URL=$(kcloud_analyzer_service_url)
expect "API answers $URL/ with its versions" \
    bash -c "curl -sf $URL/ | grep -q '\"versions\"'"
expect "API answers $URL/health" curl -sf -o /dev/null $URL/health
expect "API refuses an unauthenticated request (Keystone on)" \
    bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' $URL/api/v1/workloads) == 401 ]]"
function api_requests_counted {
    curl -sf "$URL/metrics" | awk '
        /^kcloud_analyzer_api_requests_total\{.*route="\/health"/ {n += $NF}
        END {print n + 0}'
}
# One /health request was made above; six more now, answered by either
# worker. Every scrape must count all seven.
function every_scrape_counts_seven {
    local scrape
    for scrape in 1 2 3 4; do
        [[ $(api_requests_counted) == 7 ]] || return 1
    done
}
for _ in 1 2 3 4 5 6; do
    curl -sf -o /dev/null $URL/health
done
expect "/metrics sums the requests of both uWSGI workers" every_scrape_counts_seven
expect "database migrated" \
    bash -c "psql -h $DATABASE_HOST -U $DATABASE_USER -d $KCLOUD_ANALYZER_DB_NAME -tAc 'select version_num from alembic_version' | grep -q ."
expect "agent listens on this run's queues" eventually \
    bash -c "rabbitmqctl -q list_queues -p $VHOST name | grep -q '$SUFFIX'"
expect "agent joined the coordination group on Redis" eventually \
    bash -c "redis-cli --scan --pattern '*kcloud-analyzer-agents-$SUFFIX*' | grep -q ."
expect "agent still running" kill -0 $(cat $SANDBOX/pids/kcloud-analyzer-agent)

C=$KCLOUD_ANALYZER_CONF
expect "service credentials carry the region" conf_is $C service_credentials region_name RegionOne
expect "service credentials log in as kcloud-analyzer" conf_is $C service_credentials username kcloud-analyzer
expect "auth_token middleware configured" conf_is $C keystone_authtoken username kcloud-analyzer
expect "API behind Keystone" conf_is $C api auth_strategy keystone
expect "transport_url on this machine's RabbitMQ" \
    test "$DEVSTACK_TRANSPORT_URL" == "rabbit://guest:guest@127.0.0.1:5672/"
expect "coordination on Redis" conf_is $C coordination backend_url redis://localhost:6379
expect "DevStack's logging format set" \
    bash -c "grep -q '^logging_context_format_string' $C"
expect "uWSGI reads the sandbox configuration" \
    grep -qx "env = OS_KCLOUD_ANALYZER_CONFIG_FILES=$C" $KCLOUD_ANALYZER_UWSGI_CONF
expect "uWSGI workers share their Prometheus counts" \
    grep -q "^env = PROMETHEUS_MULTIPROC_DIR=$KCLOUD_ANALYZER_API_METRICS_DIR" \
    $KCLOUD_ANALYZER_UWSGI_CONF
expect "telemetry secret shared with Ceilometer" \
    bash -c "[[ -n '$(iniget $C notification telemetry_secret)' && '$(iniget $C notification telemetry_secret)' == '$(iniget $CEILOMETER_CONF publisher telemetry_secret)' ]]"
expect "Ceilometer publishes to the analyzer's topic" \
    grep -q "notifier://?topic=$KCLOUD_ANALYZER_METERING_TOPIC" $CEILOMETER_CONF_DIR/pipeline.yaml
expect "Ceilometer keeps its own publisher" grep -q "gnocchi://" $CEILOMETER_CONF_DIR/pipeline.yaml
expect "Nova sends versioned notifications" conf_is $NOVA_CONF notifications notification_format both
expect "Nova's compute sends versioned notifications" \
    conf_is $NOVA_CPU_CONF oslo_messaging_notifications driver messagingv2
expect "Neutron sends notifications (floating IPs)" \
    conf_is $NEUTRON_CONF oslo_messaging_notifications driver messagingv2
expect "Horizon panels enabled" \
    bash -c "ls $HORIZON_DIR/openstack_dashboard/local/enabled/_62*_workload_analyzer.py >/dev/null"
expect "Redis installed by the plugin" grep -q "^install_package redis-server" $CALLS
expect "Keystone service registered" \
    grep -q "^openstack .*service create $KCLOUD_ANALYZER_SERVICE_TYPE --name kcloud-analyzer" $CALLS
expect "Keystone endpoint registered in the region" \
    grep -q "^openstack .*endpoint create .*$URL --region RegionOne" $CALLS

# --- unstack.sh and clean.sh ------------------------------------------------
echo "== unstack"
run_phase unstack
expect "API stopped" bash -c "! curl -s --max-time 5 -o /dev/null $URL/"
echo "== clean"
run_phase clean
expect "configuration removed" test ! -e $KCLOUD_ANALYZER_CONF_DIR
[[ -s $UNDEFINED ]] && _sandbox_fail "undefined: $(sort -u $UNDEFINED)"
echo "devstack-sandbox: the plugin stacked, served, unstacked and cleaned"
