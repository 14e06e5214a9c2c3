#!/usr/bin/env bash
# Kill -9 antar at random moments during a simulated day, start it again each time, and check
# afterwards that nothing a crash must not break was broken (`antar check-day`). The partners
# (two ride-hailing partners and a courier company's booking API) run as their own processes.
#
#   scripts/fault-kill9.sh                      # 20 kills, SQLite, 300x speed
#   KILLS=40 SPEED=480 SEED=7 scripts/fault-kill9.sh
#   scripts/fault-kill9.sh --postgres postgres://postgres@127.0.0.1/antar_fault   # an empty database
#
# Environment: KILLS (default 20), SPEED (simulated seconds per real second, default 300),
# DATE (a weekday, default 2031-03-04), SEED (the kill moments and the partners' decisions,
# default 1), PORT (antar, default 18080), PARTNER_PORT_BASE (default 18101), KEEP=1 keeps the
# run folder. Exits with the checker's status.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KILLS="${KILLS:-20}"
SPEED="${SPEED:-300}"
DATE="${DATE:-2031-03-04}"
SEED="${SEED:-1}"
PORT="${PORT:-18080}"
PARTNER_PORT_BASE="${PARTNER_PORT_BASE:-18101}"
DB_URL=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --postgres) DB_URL="${2:?--postgres needs a URL}"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
RANDOM="$SEED"

for tool in jq curl; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

if [[ -n "${ANTAR_BIN:-}" ]]; then
    BIN="$ANTAR_BIN"
else
    echo "== building (release)"
    (cd "$ROOT" && cargo build --release --locked --quiet)
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/antar"
fi

RUN="$(mktemp -d -t antar-fault.XXXXXX)"
DB_URL="${DB_URL:-sqlite://$RUN/antar.db}"
export ANTAR_SECURITY__MASTER_KEY_FILE="$RUN/antar.key"
export ANTAR_DISPATCH__WAVE_TIME_LIMIT_MS=500
export RUST_LOG="${RUST_LOG:-warn}"
# Every process reads the same simulated time, across restarts: 06:00 WIB now, SPEED times faster.
ORIGIN_MS="$(date +%s%3N)"
export ANTAR_CLOCK="${DATE}T06:00:00+07:00,${ORIGIN_MS},${SPEED}"
# Real time at which the simulated day reaches 19:00 (13 hours after the start).
DAY_END_MS=$(( ORIGIN_MS + 13 * 3600 * 1000 / SPEED ))

SERVE_PID=""
SIM_PIDS=()
cleanup() {
    [[ -n "$SERVE_PID" ]] && kill -9 "$SERVE_PID" 2>/dev/null || true
    for p in "${SIM_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [[ "${KEEP:-0}" == 1 ]]; then echo "run folder kept: $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT

echo "== preparing $DATE in $RUN (clock $ANTAR_CLOCK)"
"$BIN" demo --prepare "$RUN" --database "$DB_URL" --date "$DATE" --seed "$SEED" \
    --partner-port-base "$PARTNER_PORT_BASE" | tee "$RUN/prepare.log"

PARTNERS=$(jq length "$RUN/partners.json")
kind() { jq -r ".[$1].kind" "$RUN/partners.json"; }
for ((i = 0; i < PARTNERS; i++)); do
    p() { jq -r ".[$i].$1" "$RUN/partners.json"; }
    if [[ "$(kind "$i")" == booking_api ]]; then
        # A courier company's booking API: antar calls it with the partner's signing secret and
        # it signs its status callbacks (to antar's listen address) with the callback secret.
        ANTAR_SIM_API_KEY="$(p outbound_secret)" ANTAR_SIM_CALLBACK_SECRET="$(p inbound_secret)" \
            "$BIN" partner-sim --mode booking --listen "$(p listen)" \
            --no-driver-rate "$(p sim.no_driver_rate)" --surge-min "$(p sim.surge_min)" \
            --surge-max "$(p sim.surge_max)" --step-delay "$(p sim.step_delay_s)" \
            --cancel-fee-idr "$(p sim.cancel_fee_idr)" --base-fare-idr "$(p fare.base_idr)" \
            --per-km-idr "$(p fare.per_km_idr)" --seed "$(p seed)" \
            >"$RUN/partner-$i.log" 2>&1 &
    else
        ANTAR_SIM_TOKEN="$(p token)" ANTAR_SIM_INBOUND_SECRET="$(p inbound_secret)" \
            "$BIN" partner-sim --listen "$(p listen)" --antar-url "http://127.0.0.1:$PORT" \
            --outbound-secret "$(p outbound_secret)" --accept-rate "$(p sim.accept_rate)" \
            --fail-rate "$(p sim.fail_rate)" --seed "$(p seed)" --pins "$RUN/pins.csv" \
            >"$RUN/partner-$i.log" 2>&1 &
    fi
    SIM_PIDS+=("$!")
done

start_antar() {
    "$BIN" demo --prepared --database "$DB_URL" --date "$DATE" --listen "127.0.0.1:$PORT" \
        >>"$RUN/antar.log" 2>&1 &
    SERVE_PID="$!"
}

echo "== $KILLS kills"
for ((k = 1; k <= KILLS; k++)); do
    start_antar
    wait_s=$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.5 + 3.5 * r / 32767 }')
    sleep "$wait_s"
    if ! kill -0 "$SERVE_PID" 2>/dev/null; then
        echo "antar exited by itself before kill $k; its log:" >&2
        tail -20 "$RUN/antar.log" >&2
        exit 1
    fi
    kill -9 "$SERVE_PID"
    wait "$SERVE_PID" 2>/dev/null || true
    SERVE_PID=""
    now_local=$(TZ=Asia/Jakarta date -d "@$(( ( $(date +%s%3N) - ORIGIN_MS ) * SPEED / 1000 + $(date -d "${DATE}T06:00:00+07:00" +%s) ))" +%H:%M)
    echo "  kill $k after ${wait_s}s (simulated $now_local WIB)"
done

echo "== playing the rest of the day"
start_antar
until grep -q "day over" "$RUN/antar.log"; do
    if (( $(date +%s%3N) > DAY_END_MS + 60000 )); then
        echo "the day did not end in time; antar's log:" >&2
        tail -20 "$RUN/antar.log" >&2
        break
    fi
    if ! kill -0 "$SERVE_PID" 2>/dev/null; then
        echo "antar exited; its log:" >&2
        tail -20 "$RUN/antar.log" >&2
        exit 1
    fi
    sleep 1
done
# Let the last callbacks and outbox rows settle, then stop everything gracefully.
sleep 2
DUPLICATES=0
for ((i = 0; i < PARTNERS; i++)); do
    [[ "$(kind "$i")" == booking_api ]] && continue
    listen=$(jq -r ".[$i].listen" "$RUN/partners.json")
    d=$(curl -sf "http://$listen/stats" | jq '.duplicates' || echo "?")
    echo "  partner $i duplicates (retries of one webhook-id): $d"
    [[ "$d" =~ ^[0-9]+$ ]] && DUPLICATES=$(( DUPLICATES + d ))
done
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || true
SERVE_PID=""
for p in "${SIM_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${SIM_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
SIM_PIDS=()

echo "== antar's figures for the day (last run)"
sed -n '/^Hari /,/day over/p' "$RUN/antar.log"
COMPANY=""
for ((i = 0; i < PARTNERS; i++)); do
    echo "== partner $i ($(jq -r ".[$i].name" "$RUN/partners.json"), $(kind "$i"))"
    if [[ "$(kind "$i")" == booking_api ]]; then
        # Its counters, printed as JSON when it stops.
        stats=$(sed -n '/^{/,/^}/p' "$RUN/partner-$i.log")
        echo "$stats"
        COMPANY=$(jq -r '"bookings \(.bookings) (delivered \(.delivered), no driver \(.no_driver), cancelled \(.cancelled)), callbacks posted \(.callbacks_posted) (failed \(.callbacks_failed)), fares charged Rp \(.fares_charged_idr)"' <<<"$stats" || echo "?")
    else
        tail -4 "$RUN/partner-$i.log"
    fi
done

echo "== check"
status=0
"$BIN" check-day --database "$DB_URL" --date "$DATE" | tee "$RUN/check.log" || status=$?

echo "== summary"
echo "kills: $KILLS at ${SPEED}x, date $DATE, seed $SEED, database ${DB_URL%%://*}"
grep -E "^  (orders|outbox|medicine waiting)" "$RUN/check.log" || true
echo "partner duplicates (same webhook-id retries): $DUPLICATES"
[[ -n "$COMPANY" ]] && echo "booking company: $COMPANY"
echo "check: $([[ $status == 0 ]] && echo PASS || echo FAIL)"
exit "$status"
