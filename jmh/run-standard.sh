#!/usr/bin/env bash
# The standard benchmark set, one command: builds jmh/target/benchmarks.jar, records the machine
# (CPU model, cores, JDK, date, load) in docs/jmh/machine.properties, runs every benchmark the
# README quotes with -prof gc (1 thread, then the scaling subset with 2), writes JMH JSON to
# docs/jmh/, and turns it into docs/performance.md, docs/performance-t*.svg and the README's
# performance table (between its markers), every table labelled with the recorded CPU;
# MemoryHarness writes docs/memory.md (Sys of the cross-thread pattern for segpool and its ablations).
# Three forks per row (the figures are medians of the forks' means): about 45 minutes on the project's
# 2-core VM; SEGPOOL_STANDARD_FORKS=1 takes 15 but is not a figure to quote (some forks settle slower).
# Usage: jmh/run-standard.sh [extra JMH options, other than -f]
#
# To try the script without the full set (it takes the machine for 45 minutes), narrow it and
# write elsewhere: SEGPOOL_STANDARD_T1 and SEGPOOL_STANDARD_T2 replace the two include patterns
# (T2 empty skips the 2-thread run), SEGPOOL_STANDARD_OUT is the folder for the JSON, the pages
# and a copy of the README that gets the table (the committed README is then left alone), and
# SEGPOOL_STANDARD_MEMORY=0 skips MemoryHarness.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../.mvn/select-jdk.sh
. "$root/.mvn/select-jdk.sh"
segpool_select_jdk || exit 1
"$root/mvnw" -q -B -ntp -pl jmh -am -DskipTests package
jar="$root/jmh/target/benchmarks.jar"
docs="${SEGPOOL_STANDARD_OUT:-$root/docs}"
results="$docs/jmh"
readme="$root/README.md"
if [ -n "${SEGPOOL_STANDARD_OUT:-}" ]; then
  readme="$docs/README.md"
  mkdir -p "$docs"
  cp "$root/README.md" "$readme"
fi
mkdir -p "$results"
java="$JAVA_HOME/bin/java"
t1="${SEGPOOL_STANDARD_T1-AllocatorBenchmark|PeersBenchmark|StackGrowthBenchmark|DeferBenchmark|CrossThreadBenchmark|VirtualThreadBenchmark|BatchBenchmark|TailBenchmark}"
t2="${SEGPOOL_STANDARD_T2-AllocatorBenchmark.segpool(ThreadLocal|HeldCache|NoCacheAblation)$|AllocatorBenchmark.mallocFree(Critical)?$|PeersBenchmark.nettyAdaptiveTuned}"

# The CPU the figures belong to, read now, on the machine that runs them: JMH's JSON names the JVM, not the CPU.
cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
[ -n "$cpu" ] || cpu="$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -1)"
machine="$results/machine.properties"
{
  echo "# written by jmh/run-standard.sh when the run started"
  echo "cpu=${cpu:-unknown CPU}"
  echo "cores=$(nproc)"
  echo "jdk=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')"
  echo "date=$(date -u +%Y-%m-%d)"
  echo "load=$(cut -d' ' -f1 /proc/loadavg) before the run"
} > "$machine"

common=(-prof gc -f "${SEGPOOL_STANDARD_FORKS:-3}" -wi 2 -w 1 -i 3 -r 1 "$@")
jsons=("$results/results-t1.json")
"$java" --enable-native-access=ALL-UNNAMED -jar "$jar" "$t1" "${common[@]}" -rf json -rff "$results/results-t1.json"
if [ -n "$t2" ]; then
  "$java" --enable-native-access=ALL-UNNAMED -jar "$jar" "$t2" -t 2 -p size=64 "${common[@]}" \
      -rf json -rff "$results/results-t2.json"
  jsons+=("$results/results-t2.json")
fi
if [ "${SEGPOOL_STANDARD_MEMORY:-1}" != 0 ]; then
  "$java" --enable-native-access=ALL-UNNAMED -cp "$jar" io.segpool.jmh.MemoryHarness > "$docs/memory.md"
fi
"$java" -cp "$jar" io.segpool.jmh.report.Report "$docs" --machine "$machine" --readme "$readme" "${jsons[@]}"
