#!/usr/bin/env bash
# Import throughput and memory of `clusterhub import` on SQLite.
#
#   bench/bench_import.sh                      # 100,000 and 1,000,000 lines
#   SIZES="100000" bench/bench_import.sh       # one size
#
# For each size it writes a dataset with bench/make_dataset.py (reference regions and fields,
# then organisations, experts and cases in the ratio 5:1:4; kept in $BENCH_DIR and reused), makes
# a fresh SQLite data directory, migrates it, and runs `/usr/bin/time -v clusterhub import FILE`.
# Prints lines, wall time, records/s (wall), CPU seconds, records per CPU second and max RSS.
# Exits 1 when a size imports slower than $TARGET records/s (wall), or when max RSS at the
# largest size is more than 1.5 times that at the smallest (memory not flat).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
HUB=${HUB:-.venv/bin/clusterhub}
BENCH_DIR=${BENCH_DIR:-/tmp/clusterhub-bench-import}
SIZES=${SIZES:-"100000 1000000"}
TARGET=${TARGET:-5000}
REFERENCE_LINES=116  # regions.jsonl (17) and fields.jsonl (99), written first by make_dataset.py

mkdir -p "$BENCH_DIR"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%9s %8s %10s %8s %12s %11s\n' lines wall_s records/s cpu_s records/cpu-s max_rss_MiB
status=0
first_rss=""
last_rss=""
for lines in $SIZES; do
    n=$((lines - REFERENCE_LINES))
    orgs=$((n / 2)); experts=$((n / 10)); cases=$((n - orgs - experts))
    file=$BENCH_DIR/import-$lines.jsonl
    if [ ! -s "$file" ]; then
        "$PY" bench/make_dataset.py --orgs "$orgs" --experts "$experts" --cases "$cases" \
            -o "$file" 2>/dev/null
    fi
    data=$BENCH_DIR/data-$lines
    rm -rf "$data"
    CLUSTERHUB_DATA_DIR=$data "$HUB" migrate --no-input -v0
    CLUSTERHUB_DATA_DIR=$data /usr/bin/time -v -o "$BENCH_DIR/time-$lines.txt" \
        "$HUB" import "$file" >"$BENCH_DIR/import-$lines.log" 2>&1 || {
        cat "$BENCH_DIR/import-$lines.log" "$BENCH_DIR/time-$lines.txt"; exit 2; }
    records=$(wc -l <"$file")
    read -r wall cpu rss < <(awk -F': ' '
        /Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
        /User time/ { u = $2 } /System time/ { y = $2 } /Maximum resident/ { r = $2 }
        END { printf "%.1f %.1f %d\n", s, u + y, r }' "$BENCH_DIR/time-$lines.txt")
    rate=$(awk -v r="$records" -v w="$wall" 'BEGIN { printf "%d", r / w }')
    cpu_rate=$(awk -v r="$records" -v c="$cpu" 'BEGIN { printf "%d", r / c }')
    rss_mib=$((rss / 1024))
    printf '%9d %8.1f %10d %8.1f %12d %11d\n' "$records" "$wall" "$rate" "$cpu" "$cpu_rate" "$rss_mib"
    [ "$rate" -ge "$TARGET" ] || { echo "  slower than $TARGET records/s"; status=1; }
    first_rss=${first_rss:-$rss}
    last_rss=$rss
done
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$first_rss" ] && [ "$last_rss" -gt $((first_rss * 3 / 2)) ]; then
    echo "max RSS grew from $((first_rss / 1024)) MiB to $((last_rss / 1024)) MiB: memory not flat"
    status=1
fi
exit $status
