#!/usr/bin/env bash
# Runs the Arrow benchmarks from target/classes (build first: ./build -pl arrow-jmh -am package
# -DskipTests), under the machine's benchmark lock, with the flags Arrow needs on Java 25.
# Arguments go to JMH, e.g.: arrow-jmh/run.sh -f 3 -wi 3 -w 1s -i 3 -r 1s ArrowBatchBenchmark
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/../.mvn/select-jdk.sh"
segpool_select_jdk
flags="--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow --add-opens=java.base/java.nio=ALL-UNNAMED"
exec flock /tmp/segpool-bench.lock "$JAVA_HOME/bin/java" $flags \
    -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" org.openjdk.jmh.Main -jvmArgsAppend "$flags" "$@"
