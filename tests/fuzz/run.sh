#!/usr/bin/env bash
# Runs the libFuzzer harnesses of the `fuzz` preset, each for a bounded time on its seed
# corpus (tests/fuzz/corpus/<name>, never written to: new inputs go to a scratch directory).
# A crash, a leak, a sanitizer report or a timeout fails the run and keeps the input.
#
#   tests/fuzz/run.sh [--seconds N] [--build DIR] [--work DIR] [harness ...]
#
# Defaults: 20 s each, build/fuzz, a temporary work directory, every harness.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds=20
build="$root/build/fuzz"
work=""
harnesses=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --build) build="$2"; shift 2 ;;
        --work) work="$2"; shift 2 ;;
        -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) harnesses+=("$1"); shift ;;
    esac
done
if [[ ${#harnesses[@]} -eq 0 ]]; then
    for dir in "$here"/corpus/*/; do harnesses+=("$(basename "$dir")"); done
fi
failed=()
if [[ -z "$work" ]]; then
    work="$(mktemp -d)"
    # Kept when something failed, so the inputs can be replayed.
    trap 'if [[ ${#failed[@]} -eq 0 ]]; then rm -rf "$work"; fi' EXIT
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export QT_QPA_PLATFORM=offscreen

for name in "${harnesses[@]}"; do
    bin="$build/bin/fuzz_$name"
    if [[ ! -x "$bin" ]]; then
        echo "run.sh: $bin is not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2
        exit 2
    fi
    mkdir -p "$work/$name/corpus" "$work/$name/artifacts"
    echo "==> fuzz_$name: ${seconds}s on corpus/$name" >&2
    # -jobs/-workers stay at 1: the machine's cores are shared.
    if ! "$bin" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 -print_final_stats=1 \
            -artifact_prefix="$work/$name/artifacts/" "$work/$name/corpus" "$here/corpus/$name" \
            > "$work/$name/log" 2>&1; then
        tail -n 60 "$work/$name/log" >&2
        echo "run.sh: fuzz_$name FAILED; the input is in $work/$name/artifacts/" >&2
        for a in "$work/$name/artifacts/"*; do
            [[ -f "$a" ]] || continue
            echo "run.sh: $(basename "$a") (base64; replay with: base64 -d > x && $bin x):" >&2
            base64 -w0 "$a" | head -c 20000 >&2
            echo >&2
        done
        failed+=("$name")
        continue
    fi
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$work/$name/log" \
        | sed "s/^/    fuzz_$name /" >&2
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "run.sh: failed: ${failed[*]}" >&2
    exit 1
fi
echo "run.sh: ${#harnesses[@]} harness(es), no crash" >&2
