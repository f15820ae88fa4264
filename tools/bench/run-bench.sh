#!/usr/bin/env bash
# run-bench.sh: the uspbridge benchmark run.  Prints figures, asserts nothing
# about time; never part of ctest.
#
# SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
#
# DESIGN
# Builds (RelWithDebInfo) what it needs if missing, then on 127.0.0.1 with
# free ports starts its own mosquitto, uspbridged (temporary data dir,
# log_level warn, MQTT broker configured, controller self::bench, the
# subtree Device.DeviceInfo. with get_policy live) and cwmp-sim with
# --devices CPEs, waits until `uspbridge-db list` shows every device synced,
# and runs:
#   (a) bench-usp: Get throughput and latency through mosquitto (MQTT 5) and
#       over the USP WebSocket MTP, answered from the bridge (hosted
#       Device.LocalAgent. and the proxy-db cache);
#   (b) bench-usp: live Get and Set through to cwmp-sim: every request needs
#       a Connection Request and a CWMP session, so the latency is the full
#       device round trip; the bridge's own CPU per request (bridge CPU delta
#       / requests) is the bridge overhead, apart from the device's time;
#   (c) the module benchmarks in tree (bench-cwmp, bench-pdb,
#       bench-usp-codec, bench-cwmp-codec) when they are built.
# Every bridge figure is the CPU of the uspbridged process itself
# (/proc/<pid>/stat and per-thread schedstat, read by bench-usp), so the
# load generator's cost is not counted; each is the median of --runs runs.
# Ends with one summary block (command line, machine, figures) the READMEs
# can quote verbatim; it is also written to <build>/bench-summary.txt.
# Every process started here is stopped by PID at exit (trap).
#
# Usage: tools/bench/run-bench.sh [--build DIR] [--devices N] [--runs R]
#            [-n N] [-w W] [--quick] [--no-modules] [--only LABELS] [--nosync]
#            [--keep]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD="$ROOT/build-bench"
DEVICES=10
RUNS=5
N=20000
W=32
QUICK=0
MODULES=1
KEEP=0
ONLY=""
NOSYNC=false
CMDLINE="$0 $*"

usage() {
    sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    cat <<'EOF'
  --build DIR    build directory (default: <repo>/build-bench; configured
                 with -DCMAKE_BUILD_TYPE=RelWithDebInfo if it has no cache)
  --devices N    simulated CPEs, i.e. bridged agents (10)
  --runs R       runs per figure; medians are printed (5)
  -n N, -w W     Get requests per run and outstanding window (20000, 32)
  --quick        short runs (N=5000, 3 runs, smaller module benchmarks)
  --no-modules   skip the module benchmarks (c)
  --only LABELS  run only these bench-usp cases (comma separated, e.g.
                 get-param-mqtt,set-live-par)
  --nosync       run the bridge with [store] nosync = true (no fsync per
                 LMDB commit); the default keeps fsync on, as deployed
  --keep         keep the temporary directory (logs, store)
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
    --build) BUILD=$2; shift 2 ;;
    --devices) DEVICES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    -n) N=$2; shift 2 ;;
    -w) W=$2; shift 2 ;;
    --quick) QUICK=1; N=5000; RUNS=3; shift ;;
    --no-modules) MODULES=0; shift ;;
    --keep) KEEP=1; shift ;;
    --only) ONLY=",$2,"; shift 2 ;;
    --nosync) NOSYNC=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run-bench.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

log() { echo "run-bench: $*" >&2; }
die() { log "$*"; exit 1; }

# ---- processes and cleanup ----
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ub-bench.XXXXXX")
PIDS=()
cleanup() {
    local rc=$?
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        kill -TERM "${PIDS[i]}" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$KEEP" = 1 ] || [ $rc -ne 0 ]; then
        log "logs and store kept in $TMP"
    else
        rm -rf "$TMP"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768-)
        if ! ss -Htan "( sport = :$p )" 2>/dev/null | grep -q .; then
            echo "$p"
            return 0
        fi
    done
    die "no free port found"
}

wait_listen() { # port timeout-s
    local t=$(($2 * 10))
    for _ in $(seq "$t"); do
        ss -Hltn "( sport = :$1 )" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

# ---- build ----
TARGETS_REQ=(uspbridged cwmp-sim uspbridge-db bench-usp)
TARGETS_OPT=(bench-cwmp bench-pdb bench-usp-codec bench-cwmp-codec)
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    log "configuring $BUILD (RelWithDebInfo)"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$TMP/cmake.log" 2>&1 ||
        cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DBUILD_TESTING=OFF >>"$TMP/cmake.log" 2>&1 ||
        { cat "$TMP/cmake.log" >&2; die "configure failed"; }
fi
BTYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
[ "$BTYPE" = RelWithDebInfo ] || log "warning: $BUILD is a '$BTYPE' build, not RelWithDebInfo"
for t in "${TARGETS_REQ[@]}"; do
    cmake --build "$BUILD" --target "$t" -j2 >"$TMP/build-$t.log" 2>&1 ||
        { tail -30 "$TMP/build-$t.log" >&2; die "build of $t failed"; }
done
if [ "$MODULES" = 1 ]; then
    for t in "${TARGETS_OPT[@]}"; do
        cmake --build "$BUILD" --target "$t" -j2 >"$TMP/build-$t.log" 2>&1 ||
            log "note: $t not built (see $TMP/build-$t.log)"
    done
fi
BRIDGE="$BUILD/bridge/uspbridged"
SIM="$BUILD/tools/cwmp-sim/cwmp-sim"
DB="$BUILD/tools/uspbridge-db/uspbridge-db"
BUSP="$BUILD/tools/bench-usp/bench-usp"

# ---- mosquitto ----
MQ_PORT=$(free_port)
cat >"$TMP/mosquitto.conf" <<EOF
listener $MQ_PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 100000
set_tcp_nodelay true
log_dest stderr
EOF
mosquitto -c "$TMP/mosquitto.conf" >"$TMP/mosquitto.log" 2>&1 &
MQ_PID=$!
PIDS+=("$MQ_PID")
wait_listen "$MQ_PORT" 10 || { cat "$TMP/mosquitto.log" >&2; die "mosquitto did not start"; }

# ---- uspbridged ----
CWMP_PORT=$(free_port)
WS_PORT=$(free_port)
while [ "$WS_PORT" = "$CWMP_PORT" ] || [ "$WS_PORT" = "$MQ_PORT" ]; do WS_PORT=$(free_port); done
cat >"$TMP/uspbridged.conf" <<EOF
[general]
data_dir = $TMP/data
log_level = warn

[cwmp]
listen = 127.0.0.1
port = $CWMP_PORT
username = cpe
password = cpe
cr_username = cpe
cr_password = cpe
cr_min_interval = 0

[store]
nosync = $NOSYNC

[usp]
ws_listen = 127.0.0.1
ws_port = $WS_PORT
mqtt_broker = 127.0.0.1
mqtt_port = $MQ_PORT
mqtt_agent_topic = usp/agents/%s
controllers = self::bench=usp/controller/bench
get_policy_paths = Device.DeviceInfo.=live
request_timeout = 60
EOF
# in $TMP with core dumps on, so that a crash leaves its core there
(cd "$TMP" && ulimit -c unlimited 2>/dev/null; exec "$BRIDGE" --config "$TMP/uspbridged.conf") \
    >"$TMP/uspbridged.log" 2>&1 &
BR_PID=$!
PIDS+=("$BR_PID")
wait_listen "$CWMP_PORT" 15 || { tail -30 "$TMP/uspbridged.log" >&2; die "uspbridged did not listen on $CWMP_PORT"; }
wait_listen "$WS_PORT" 5 || log "warning: no WebSocket MTP listener on $WS_PORT"

# ---- cwmp-sim ----
"$SIM" --acs "http://127.0.0.1:$CWMP_PORT/" --username cpe --password cpe \
    --count "$DEVICES" --serial-prefix BENCH --oui 00D09E --cr-port 0 \
    --json >"$TMP/cwmp-sim.log" 2>&1 &
SIM_PID=$!
PIDS+=("$SIM_PID")

log "waiting for $DEVICES devices to be synced"
SYNCED=0
for _ in $(seq 240); do
    SYNCED=$("$DB" --db "$TMP/data/db" list 2>/dev/null | awk '$0 ~ / synced / {n++} END {print n+0}')
    [ "$SYNCED" -ge "$DEVICES" ] && break
    kill -0 "$BR_PID" 2>/dev/null || { tail -30 "$TMP/uspbridged.log" >&2; die "uspbridged exited"; }
    sleep 0.5
done
[ "$SYNCED" -ge "$DEVICES" ] || {
    "$DB" --db "$TMP/data/db" list >&2 || true
    tail -20 "$TMP/uspbridged.log" >&2
    die "only $SYNCED of $DEVICES devices synced after 120 s"
}
EIDS=$("$DB" --db "$TMP/data/db" list | awk '$0 ~ / synced / {print $2}' | paste -sd, -)
EID1=${EIDS%%,*}
log "agents: $EIDS"

# ---- benchmarks ----
RES="$TMP/results.txt"
: >"$RES"
bench() { # label, bench-usp args...
    local label=$1 rc=0
    shift
    if [ -n "$ONLY" ] && [[ "$ONLY" != *",$label,"* ]]; then return 0; fi
    if ! kill -0 "$BR_PID" 2>/dev/null; then
        echo "$label: not run: uspbridged is gone" >>"$RES"
        return 0
    fi
    log "bench-usp $label"
    "$BUSP" --label "$label" --pid "$BR_PID" "$@" >"$TMP/$label.out" 2>"$TMP/$label.err" || rc=$?
    cat "$TMP/$label.out" >&2
    [ -s "$TMP/$label.err" ] && sed 's/^/  /' "$TMP/$label.err" >&2
    if grep -q " median of " "$TMP/$label.out"; then
        grep " median of " "$TMP/$label.out" >>"$RES"
        [ $rc -ne 0 ] && echo "$label: exit status $rc (errors or lost requests, see above)" >>"$RES"
    else
        echo "$label: FAILED (exit $rc): $(head -c 300 "$TMP/$label.err" | tr '\n' ' ')" >>"$RES"
    fi
    if ! kill -0 "$BR_PID" 2>/dev/null; then
        local st=0
        wait "$BR_PID" || st=$?
        echo "$label: uspbridged DIED during this case (wait status $st$([ $st -gt 128 ] && echo ", signal $((st - 128))"); core and log in $TMP)" >>"$RES"
        KEEP=1
    fi
    return 0
}

MQ=(--broker "127.0.0.1:$MQ_PORT" --broker-pid "$MQ_PID" --agent-topic 'usp/agents/%s'
    --topic usp/controller/bench --from self::bench)
WS=(--ws "ws://127.0.0.1:$WS_PORT/usp/")
# (a) answered by the bridge itself
bench get-param-mqtt "${MQ[@]}" --to "$EIDS" --get Device.LocalAgent.EndpointID -n "$N" -w "$W" -r "$RUNS"
bench get-partial-mqtt "${MQ[@]}" --to "$EIDS" --get Device.LocalAgent. -n $((N / 4)) -w "$W" -r "$RUNS"
bench get-cached-mqtt "${MQ[@]}" --to "$EIDS" --get Device.IP.Interface.1.Status -n "$N" -w "$W" -r "$RUNS"
bench get-param-ws "${WS[@]}" --to "$EIDS" --get Device.LocalAgent.EndpointID -n "$N" -w "$W" -r "$RUNS"
# (b) through to the devices (Connection Request + CWMP session each)
LN=$((QUICK ? 10 : 30))
LR=$((RUNS < 3 ? RUNS : 3))
bench get-live-seq "${MQ[@]}" --to "$EIDS" --get Device.DeviceInfo.UpTime -n "$LN" -w 1 -r "$LR" --timeout 60
bench get-live-par "${MQ[@]}" --to "$EIDS" --get Device.DeviceInfo.UpTime -n $((LN * 2)) -w "$DEVICES" -r "$LR" --timeout 60
bench set-live-seq "${MQ[@]}" --to "$EIDS" --set 'Device.DeviceInfo.ProvisioningCode=bench-{seq}' -n "$LN" -w 1 -r "$LR" --timeout 60
bench set-live-par "${MQ[@]}" --to "$EIDS" --set 'Device.DeviceInfo.ProvisioningCode=bench-{seq}' -n $((LN * 2)) -w "$DEVICES" -r "$LR" --timeout 60

BR_RSS=$(awk '/^VmRSS/ {print $2 " " $3}' "/proc/$BR_PID/status" 2>/dev/null || echo "?")
BR_HWM=$(awk '/^VmHWM/ {print $2 " " $3}' "/proc/$BR_PID/status" 2>/dev/null || echo "?")

# (c) module benchmarks
MOD="$TMP/modules.txt"
: >"$MOD"
modbench() { # target, args...
    local t=$1 exe
    shift
    exe="$BUILD/tools/$t/$t"
    if [ ! -x "$exe" ]; then
        echo "--- $t: not built (no CMake target in this tree?)" >>"$MOD"
        return 0
    fi
    log "$t $*"
    {
        echo "--- $t $*"
        (cd "$ROOT" && "$exe" "$@") 2>&1 || echo "($t exit status $?)"
    } >>"$MOD"
}
if [ "$MODULES" = 1 ]; then
    if [ "$QUICK" = 1 ]; then
        modbench bench-cwmp -n 5000 -c 8 -r 3 -t none
        modbench bench-pdb --runs 3 --devices 5 --idle 10000
        modbench bench-usp-codec 0.2
        modbench bench-cwmp-codec -n 5000 -r 5
    else
        modbench bench-cwmp -n 20000 -c 8 -r 3 -t none
        modbench bench-cwmp -n 2000 -c 8 -r 3 -t full -k ecdsa
        modbench bench-pdb
        modbench bench-usp-codec
        modbench bench-cwmp-codec
    fi
fi

# ---- summary ----
SUM="$BUILD/bench-summary.txt"
{
    echo "===== uspbridge benchmark summary ====="
    echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "command:  $CMDLINE"
    echo "commit:   $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
    echo "build:    $BTYPE ($BUILD)"
    echo "machine:  $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr)"
    echo "setup:    mosquitto $(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version \([^ ]*\).*/\1/p' | head -1) on 127.0.0.1; uspbridged log_level warn, store nosync=$NOSYNC;"
    echo "          $DEVICES cwmp-sim CPEs (TR-181 model), synced; controller self::bench; Device.DeviceInfo.=live"
    echo "          bridge CPU = uspbridged's own (schedstat; stat in the per-run lines), medians of the runs"
    echo "(a)+(b) bench-usp (req = request answered; 'us bridge CPU/req' = bridge overhead per request):"
    sed 's/^/  /' "$RES"
    echo "  uspbridged RSS after the runs: $BR_RSS (peak $BR_HWM)"
    if [ "$MODULES" = 1 ]; then
        echo "(c) module benchmarks:"
        sed 's/^/  /' "$MOD"
    fi
    echo "===== end of summary ====="
} >"$SUM"
cat "$SUM"
