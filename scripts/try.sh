#!/usr/bin/env bash
# Try the Edge Cluster Frontend on this one machine, no OpenNebula, COGNIT frontend or VMs needed:
#   scripts/try.sh         install what is missing, build, start a private RabbitMQ, the ECF in
#                          standalone mode and a Python runtime, then offload a real function
#                          through all of it as the COGNIT Python device client does
#   scripts/try.sh stop    stop everything it started
#   scripts/try.sh status  say what is running
# Everything lives in ./var/ (configuration, data, logs, pid files); nothing else on the machine
# is touched: the RabbitMQ node is private (own name, port and data) and never the system one.
# Re-running it reuses the user and what still runs, and restarts what does not.
# Environment: ECF_TRY_PORT (default 1339), ECF_TRY_FLAVOUR (default Demo), ECF_TRY_BUILD_DIR
# (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VAR=$ROOT/var
BUILD=${ECF_TRY_BUILD_DIR:-$ROOT/build}
PORT=${ECF_TRY_PORT:-1339}
FLAVOUR=${ECF_TRY_FLAVOUR:-Demo}
RABBIT_DIR=$VAR/rabbitmq
PY=/usr/bin/python3

say() { echo "try: $*"; }

alive() {  # alive PIDFILE: the process of PIDFILE runs
    [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

stop_pid() {  # stop_pid PIDFILE NAME: SIGTERM, then up to 15 s, then SIGKILL
    local file=$1 name=$2 pid i
    if alive "$file"; then
        pid=$(cat "$file")
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 150); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
        say "stopped $name (pid $pid)"
    fi
    rm -f "$file"
}

rabbit_port() {
    [ -f "$RABBIT_DIR/state.json" ] && $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$RABBIT_DIR/state.json"
}

rabbit_alive() {
    local port
    port=$(rabbit_port 2>/dev/null) || return 1
    [ -n "$port" ] || return 1
    # RabbitMQ answers the AMQP protocol header with connection.start once it has booted.
    $PY - "$port" <<'PYEOF'
import socket, sys
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as s:
        s.settimeout(2)
        s.sendall(b"AMQP\x00\x00\x09\x01")
        sys.exit(0 if s.recv(1) == b"\x01" else 1)
except OSError:
    sys.exit(1)
PYEOF
}

wait_http() {  # wait_http URL SECONDS LOG
    local i
    for i in $(seq 1 $(($2 * 5))); do
        if curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    say "no answer from $1 within $2 s; the end of $3:"
    tail -n 20 "$3" >&2 || true
    return 1
}

stop_all() {
    stop_pid "$VAR/runtime.pid" "ecf-runtime"
    stop_pid "$VAR/ecf.pid" "the ECF"
    if [ -f "$RABBIT_DIR/state.json" ]; then
        $PY tests/harness/rabbitmq.py stop --dir "$RABBIT_DIR" && say "stopped the private RabbitMQ"
    fi
}

status() {
    alive "$VAR/ecf.pid" && say "the ECF runs (pid $(cat "$VAR/ecf.pid")) on http://127.0.0.1:$PORT" || say "the ECF is stopped"
    alive "$VAR/runtime.pid" && say "ecf-runtime runs (pid $(cat "$VAR/runtime.pid"))" || say "ecf-runtime is stopped"
    rabbit_alive && say "the private RabbitMQ runs on 127.0.0.1:$(rabbit_port)" || say "the private RabbitMQ is stopped"
}

case "${1:-start}" in
    stop) stop_all; exit 0 ;;
    status) status; exit 0 ;;
    start) ;;
    *) echo "usage: scripts/try.sh [start|stop|status]" >&2; exit 2 ;;
esac

say "1/6 Debian packages"
if command -v node >/dev/null && command -v npm >/dev/null; then
    scripts/install-deps.sh
else
    # install-deps.sh also wants Node.js 20 for the test suite's interoperability tests; trying
    # the ECF needs only the build and run packages below.
    needed=(build-essential cmake ninja-build pkg-config libboost1.81-all-dev librabbitmq-dev
        libssl-dev libprotobuf-dev protobuf-compiler libpugixml-dev libyaml-cpp-dev libspdlog-dev
        libre2-dev libsqlite3-dev libcli11-dev libsodium-dev libargon2-dev prometheus-cpp-dev
        libgtest-dev libgmock-dev libbenchmark-dev rabbitmq-server python3 python3-requests
        python3-cloudpickle python3-pika python3-pytest curl)
    missing=()
    for p in "${needed[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        SUDO=""
        [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        say "installing ${missing[*]}"
        $SUDO apt-get update -q
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
fi

say "2/6 building ecf and ecf-runtime in build/"
if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" --target ecf ecf-runtime -j "$(nproc)"

mkdir -p "$VAR"
chmod 700 "$VAR"

# When anything is missing, everything starts again on a fresh RabbitMQ node (the runtime first,
# so that the first execution finds a consumer). Users, documents and the root key in var/data
# are kept.
if rabbit_alive && alive "$VAR/runtime.pid" && alive "$VAR/ecf.pid"; then
    say "3-5/6 RabbitMQ (port $(rabbit_port)), ecf-runtime and the ECF already run: reusing them"
    AMQP_PORT=$(rabbit_port)
else
    stop_pid "$VAR/ecf.pid" "the ECF"
    stop_pid "$VAR/runtime.pid" "ecf-runtime"

    say "3/6 private RabbitMQ (var/rabbitmq)"
    $PY tests/harness/rabbitmq.py start --dir "$RABBIT_DIR" --port-file "$VAR/rabbitmq.port" >/dev/null
    AMQP_PORT=$(rabbit_port)
    say "started on port $AMQP_PORT"

    say "4/6 ecf-runtime with the Python executor on flavour $FLAVOUR"
    nohup "$BUILD/ecf-runtime" --broker "amqp://guest:guest@127.0.0.1:$AMQP_PORT" \
        --flavour "$FLAVOUR" --exec "$PY $ROOT/scripts/executors/python_executor.py" \
        >"$VAR/runtime.log" 2>&1 </dev/null &
    echo $! > "$VAR/runtime.pid"
    for i in $(seq 1 150); do
        grep -q "consuming queue" "$VAR/runtime.log" 2>/dev/null && break
        sleep 0.2
    done
    if ! grep -q "consuming queue" "$VAR/runtime.log"; then
        say "ecf-runtime did not start within 30 s; the end of var/runtime.log:"
        tail -n 20 "$VAR/runtime.log" >&2
        exit 1
    fi
    say "started ecf-runtime (pid $(cat "$VAR/runtime.pid"), log var/runtime.log)"

    say "5/6 the ECF in standalone mode (var/ecf.conf, data in var/data)"
    cat > "$VAR/ecf.conf" <<CONF
# Written by scripts/try.sh. Neither one_xmlrpc nor cognit_frontend is named: standalone mode.
host: 127.0.0.1
port: $PORT
broker: http://127.0.0.1:$AMQP_PORT
data_dir: $VAR/data
log_level: info
CONF
    if ! "$BUILD/ecf" users list --data-dir "$VAR/data" | cut -f2 | grep -qx demo || [ ! -s "$VAR/demo-password" ]; then
        (umask 077; $PY -c 'import secrets; print(secrets.token_urlsafe(18))' > "$VAR/demo-password")
        "$BUILD/ecf" users add demo --password-stdin --data-dir "$VAR/data" < "$VAR/demo-password" >/dev/null
        say "created the user demo (password in var/demo-password)"
    else
        say "reusing the user demo (password in var/demo-password)"
    fi
    # The malloc tuning of the packaged service (deploy/systemd/cognit-ecf.service).
    GLIBC_TUNABLES=glibc.malloc.tcache_count=128 \
        nohup "$BUILD/ecf" serve --config "$VAR/ecf.conf" >"$VAR/ecf.log" 2>&1 </dev/null &
    echo $! > "$VAR/ecf.pid"
    say "started the ECF (pid $!, log var/ecf.log)"
fi
wait_http "http://127.0.0.1:$PORT/v1/public_key" 30 "$VAR/ecf.log"

say "6/6 offloading a Python function as the COGNIT device client does"
ok=0
for attempt in 1 2 3 4 5; do
    if $PY scripts/demo/client.py --frontend "http://127.0.0.1:$PORT" --user demo \
        --password-file "$VAR/demo-password" --flavour "$FLAVOUR"; then
        ok=1
        break
    fi
    # The runtime may still be connecting to a fresh RabbitMQ: give it a moment.
    sleep 2
done
if [ "$ok" != 1 ]; then
    say "the demo failed; see var/ecf.log and var/runtime.log"
    exit 1
fi

cat <<EOF

The ECF keeps running in standalone mode on http://127.0.0.1:$PORT (API page: /docs).
  Your device code:  COGNIT frontend = ECF = http://127.0.0.1:$PORT, user demo,
                     password in var/demo-password, flavour $FLAVOUR
  Run the demo again: $PY scripts/demo/client.py --frontend http://127.0.0.1:$PORT \\
                       --password-file var/demo-password --flavour $FLAVOUR
  Users:             ${BUILD#$ROOT/}/ecf users add NAME --data-dir var/data
  Documents:         ${BUILD#$ROOT/}/ecf documents list --data-dir var/data
  Logs:              var/ecf.log, var/runtime.log
  Stop everything:   scripts/try.sh stop
EOF
