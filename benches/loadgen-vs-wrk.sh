#!/usr/bin/env bash
# dockmaster loadtest against wrk, side by side in one run, on one local
# nginx (loopback only). Not a timed test: it prints figures for
# benches/RESULTS-loadgen.md.
#
#   1. closed model: `wrk -t T -c C` and `dockmaster loadtest --closed C
#      --threads T`, alternating ROUNDS times, DURATION s each; medians of
#      requests/s and their ratio (loadgen / wrk, target >= 1.0).
#   2. schedule (open) model: RATE requests/s, uniform arrivals, for
#      SCHEDULE_S s; achieved rate vs scheduled (target within 1%) and
#      schedule lag p99 (target < 1 ms), from loadtest.json.
#   3. memory: the same schedule for SOAK_S s (default 600), the load
#      generator's RSS sampled every SAMPLE_S s (target: flat).
#
# Usage: benches/loadgen-vs-wrk.sh            (all three parts, ~14 min)
#        PARTS="closed schedule" benches/loadgen-vs-wrk.sh
# Needs nginx and wrk: apt-get install -y nginx-light wrk
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
NGINX_WORKERS=${NGINX_WORKERS:-1}
RATE=${RATE:-20000}
SCHEDULE_S=${SCHEDULE_S:-60}
SOAK_S=${SOAK_S:-600}
SAMPLE_S=${SAMPLE_S:-30}
PARTS=${PARTS:-closed schedule memory}
# On a machine shared with other work, NICE=-10 (root) gives nginx, wrk and
# the load generator alike a larger share of the CPU, so the comparison
# measures the tools rather than the neighbours.
NICE=${NICE:-0}
run() { nice -n "$NICE" "$@"; }

for tool in nginx wrk python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y nginx-light wrk)" >&2; exit 2; }
done
cargo build --release --quiet
DM=$PWD/target/release/dockmaster

tmp=$(mktemp -d)
nginx_pid=""
cleanup() {
    if [ -n "$nginx_pid" ]; then kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$tmp/nginx.conf" <<EOF
worker_processes $NGINX_WORKERS;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 600s;
    server {
        listen 127.0.0.1:$port;
        location / { return 200 "ok\n"; }
    }
}
EOF
nice -n "$NICE" nginx -c "$tmp/nginx.conf" -p "$tmp" &
nginx_pid=$!
for _ in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.1)" 2>/dev/null && break
    sleep 0.1
done
url=http://127.0.0.1:$port

# The scenario: one service `web`, uniform arrivals at RATE/s (the closed
# model only uses its service name: requests go to /web/).
scenario() {  # $1 = duration in s
    cat > "$tmp/bench.toml" <<EOF
name = "bench"
duration = "${1}s"
seed = 1
window = "10s"
[cluster]
instance_type = "m5.large"
azs = ["a"]
[cluster.asg]
min = 1
max = 1
desired = 1
[[services]]
name = "web"
desired = 1
cpu = 256
memory = 256
concurrency = 1
service_time = { dist = "constant", value = "1ms" }
[load_balancer]
algorithm = "round_robin"
[traffic]
arrivals = "uniform"
profile = [ { at = "0s", rps = $RATE } ]
EOF
}

json() {  # $1 = file, $2 = python expression on j
    python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

median() { python3 -c 'import sys, statistics; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

echo "# loadgen vs wrk — $(date -u +%Y-%m-%dT%H:%MZ) — $(nproc) cores, $(uname -r)"
echo "# NICE=$NICE; nginx $(nginx -v 2>&1 | sed 's/.*\///') workers=$NGINX_WORKERS at $url; $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); load average: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ " $PARTS " == *" closed "* ]]; then
    scenario 60
    echo
    echo "## closed model: $CONNECTIONS connections, $THREADS thread(s), ${DURATION} s, $ROUNDS rounds alternating"
    echo "#   wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s $url/web/"
    echo "#   dockmaster loadtest bench.toml --target $url --closed $CONNECTIONS --threads $THREADS --duration ${DURATION}s"
    wrk_r=(); dm_r=()
    for i in $(seq "$ROUNDS"); do
        w=$(run wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "$url/web/" | awk '/Requests\/sec/ {print $2}')
        run "$DM" loadtest "$tmp/bench.toml" --target "$url" -o "$tmp/closed" --closed "$CONNECTIONS" \
            --threads "$THREADS" --duration "${DURATION}s" -q
        d=$(json "$tmp/closed/loadtest.json" 'j["rate"]["achieved_rps"]')
        printf 'round %d: wrk %10.0f/s   loadgen %10.0f/s\n' "$i" "$w" "$d"
        wrk_r+=("$w"); dm_r+=("$d")
    done
    mw=$(median "${wrk_r[@]}"); md=$(median "${dm_r[@]}")
    python3 -c "import sys; w,d=map(float,sys.argv[1:]); print(f'median: wrk {w:.0f}/s, loadgen {d:.0f}/s, ratio loadgen/wrk {d/w:.3f}')" "$mw" "$md"
fi

if [[ " $PARTS " == *" schedule "* ]]; then
    scenario "$SCHEDULE_S"
    echo
    echo "## schedule model: $RATE requests/s uniform for ${SCHEDULE_S} s"
    echo "#   dockmaster loadtest bench.toml --target $url -o OUT -q"
    run "$DM" loadtest "$tmp/bench.toml" --target "$url" -o "$tmp/open" -q
    json "$tmp/open/loadtest.json" '"scheduled %.1f/s, achieved %.1f/s (%.3f%% of schedule); schedule lag p50 %s p99 %s p99.9 %s max %s ms; %d of %d sent > 1 ms late; errors %d; connections opened %d" % (j["rate"]["scheduled_rps"], j["rate"]["achieved_rps"], 100*j["rate"]["achieved_vs_scheduled"], j["schedule_lag_ms"]["p50"], j["schedule_lag_ms"]["p99"], j["schedule_lag_ms"]["p999"], j["schedule_lag_ms"]["max"], j["sent_late_over_1ms"], j["requests"]["sent"], j["requests"]["errors"], j["connections"]["opened"])'
fi

if [[ " $PARTS " == *" memory "* ]]; then
    scenario "$SOAK_S"
    echo
    echo "## memory: $RATE requests/s for ${SOAK_S} s, loadgen RSS every ${SAMPLE_S} s"
    nice -n "$NICE" "$DM" loadtest "$tmp/bench.toml" --target "$url" -o "$tmp/soak" -q &
    dm_pid=$!
    t=0
    while kill -0 "$dm_pid" 2>/dev/null; do
        rss=$(awk '/VmRSS/ {print $2}' "/proc/$dm_pid/status" 2>/dev/null || true)
        [ -n "$rss" ] && printf 't=%4d s  RSS %6d KiB\n' "$t" "$rss"
        sleep "$SAMPLE_S"; t=$((t + SAMPLE_S))
    done
    wait "$dm_pid"
    json "$tmp/soak/loadtest.json" '"sent %d, errors %d, achieved %.1f/s (%.3f%% of schedule), lag p99 %s ms, max %s ms; connections opened %d, peak %d" % (j["requests"]["sent"], j["requests"]["errors"], j["rate"]["achieved_rps"], 100*j["rate"]["achieved_vs_scheduled"], j["schedule_lag_ms"]["p99"], j["schedule_lag_ms"]["max"], j["connections"]["opened"], j["connections"]["peak_open"])'
fi
