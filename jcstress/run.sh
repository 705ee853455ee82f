#!/usr/bin/env bash
# Runs segpool's jcstress tests and fails unless every test ran and none saw a FORBIDDEN outcome.
#
#   jcstress/run.sh quick    CI-sized: jcstress -m quick (5 x 200 ms iterations, 1 normal + 1 stress fork
#                            per VM configuration) with 8 strides of states per epoch instead of 40:
#                            each state makes and closes an allocator (an mmap and a shared-arena
#                            close), so a full epoch of 40 x 256 states outlasts the 200 ms iteration
#   jcstress/run.sh full     jcstress -m default: the longer run, for a change to the concurrency code
#   jcstress/run.sh broken   the deliberately broken variants (*Broken): passes only if each of them
#                            DID see a FORBIDDEN outcome, proving the test shapes can fail. Quick, with
#                            -sc false: one compilation mode per VM configuration (5 forks per test,
#                            not 15), as a broken variant only has to be caught once, not everywhere
#
# The real tests are the classes whose names end in Race, the broken ones end in Broken. Results
# go to jcstress/target/results-MODE/ (HTML) and jcstress/target/jcstress-MODE.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode="${1:-quick}"
case "$mode" in
  quick)  preset=quick;   select='Race$';   extra=(-strideCount 8) ;;
  full)   preset=default; select='Race$';   extra=() ;;
  broken) preset=quick;   select='Broken$'; extra=(-strideCount 8 -sc false) ;;
  *) echo "usage: jcstress/run.sh [quick|full|broken]" >&2; exit 2 ;;
esac
suffix="${select%\$}"

./build -B -ntp -q -pl jcstress -am -DskipTests package

# The JDK that ./build selects (JDK 25+), by the same script.
# shellcheck source=../.mvn/select-jdk.sh
. .mvn/select-jdk.sh
segpool_select_jdk
java="$JAVA_HOME/bin/java"

expected=$(grep -l '^@JCStressTest' jcstress/src/main/java/io/segpool/jcstress/*"$suffix".java | wc -l)
out=jcstress/target
log="$out/jcstress-$mode.log"
rm -rf "$out/results-$mode"

# -jvmArgsPrepend keeps jcstress's auto-detected VM configurations (-jvmArgs would replace them
# with one) and adds to each forked test VM: native access (mmap goes through the FFM Linker), and
# the JDK's memory-session internals, which SpillFaultRefillRace uses to hold a large block's
# segment as a blocking downcall does (ScopeHold), so that unmapping it fails.
vm_args="--enable-native-access=ALL-UNNAMED --add-exports=java.base/jdk.internal.foreign=ALL-UNNAMED"
set +e
# Run from target/: jcstress drops its result blob in the working directory.
(cd "$out" && "$java" --enable-native-access=ALL-UNNAMED -jar jcstress.jar -m "$preset" "${extra[@]}" -v -t "$select" \
  -jvmArgsPrepend "$vm_args" -r "results-$mode" >"jcstress-$mode.log" 2>&1)
jcstress_rc=$?
set -e

ran=$(find "$out/results-$mode" -name "io.segpool.*$suffix.html" 2>/dev/null | wc -l)

# Per test, from the "Results across all configurations" tables: samples with a FORBIDDEN outcome.
summary=$(awk '
  /^\.+ \[[A-Z]+\] / { test = $3 }
  /Results across all configurations/ { across = 1; next }
  across && /^ *$/ && seen { across = 0; seen = 0 }
  across && / (Acceptable|Forbidden|Interesting) / {
    seen = 1
    split($0, f, /  +/)
    for (i = 1; i <= length(f); i++) if (f[i] ~ /^[0-9,]+$/) { samples = f[i]; break }
    gsub(",", "", samples)
    if ($0 ~ / Forbidden /) forbidden[test] += samples; else ok[test] += samples
    tests[test] = 1
  }
  END { for (t in tests) printf "%s: %d samples, %d FORBIDDEN\n", t, ok[t] + forbidden[t], forbidden[t] }
' "$log" | sort)
echo "$summary"
total_forbidden=$(echo "$summary" | awk '{ s += $(NF-1) } END { print s + 0 }')

echo "jcstress $mode: $ran of $expected test classes ran, $total_forbidden FORBIDDEN samples, jcstress exit $jcstress_rc; log $log"
if [ "$ran" -ne "$expected" ]; then
  echo "FAIL: only $ran of $expected tests ran (a test with more actors than CPUs is skipped silently)" >&2
  exit 1
fi
if [ "$mode" = broken ]; then
  clean=$(echo "$summary" | awk '$(NF-1) == 0' | wc -l)
  if [ "$total_forbidden" -eq 0 ] || [ "$clean" -ne 0 ]; then
    echo "FAIL: a broken variant saw no FORBIDDEN outcome: the shape cannot tell a racy stack from a safe one" >&2
    exit 1
  fi
  echo "OK: every broken variant was caught"
  exit 0
fi
if [ "$total_forbidden" -ne 0 ] || [ "$jcstress_rc" -ne 0 ]; then
  echo "FAIL: FORBIDDEN outcomes or test errors; see $log and $out/results-$mode/index.html" >&2
  exit 1
fi
echo "OK"
