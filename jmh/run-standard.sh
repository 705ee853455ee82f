#!/usr/bin/env bash
# The standard benchmark set, one command: builds jmh/target/benchmarks.jar, runs every benchmark
# the README quotes with -prof gc (1 thread, then the scaling subset with 2), writes JMH JSON to
# docs/jmh/, and turns it into docs/performance.md and docs/performance-t*.svg; MemoryHarness
# writes docs/memory.md (Sys of the cross-thread pattern for segpool and its ablations).
# About 12 minutes on the project's 2-core VM. Usage: jmh/run-standard.sh [extra JMH options]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../.mvn/select-jdk.sh
. "$root/.mvn/select-jdk.sh"
segpool_select_jdk || exit 1
"$root/mvnw" -q -B -ntp -pl jmh -am -DskipTests package
jar="$root/jmh/target/benchmarks.jar"
results="$root/docs/jmh"
mkdir -p "$results"
java="$JAVA_HOME/bin/java"
common=(-prof gc -f 1 -wi 2 -w 1 -i 3 -r 1 "$@")
"$java" --enable-native-access=ALL-UNNAMED -jar "$jar" \
    'AllocatorBenchmark|PeersBenchmark|StackGrowthBenchmark|DeferBenchmark|CrossThreadBenchmark|VirtualThreadBenchmark' \
    "${common[@]}" -rf json -rff "$results/results-t1.json"
"$java" --enable-native-access=ALL-UNNAMED -jar "$jar" \
    'AllocatorBenchmark.segpool(ThreadLocal|HeldCache|NoCacheAblation)$|AllocatorBenchmark.mallocFree(Critical)?$|PeersBenchmark.nettyAdaptiveTuned' \
    -t 2 -p size=64 "${common[@]}" -rf json -rff "$results/results-t2.json"
"$java" --enable-native-access=ALL-UNNAMED -cp "$jar" io.segpool.jmh.MemoryHarness > "$root/docs/memory.md"
"$java" -cp "$jar" io.segpool.jmh.report.Report "$root/docs" "$results/results-t1.json" "$results/results-t2.json"
