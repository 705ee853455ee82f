#!/usr/bin/env bash
# The published jars hold no test seam and no ablation: lists every class of each module the BOM
# publishes (as ./build verify left them in target/) and fails on any type that exists only for
# tests or benchmarks (`unzip -Z1`, which the Maven wrapper needs anyway, lists them). Run after ./build verify.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
forbidden='EngineProbe|EngineAccess|EngineSecrets|InternalAccess|Ablations|ThreadCaching|/internal/Engine'
status=0
for module in stats allocator pools chronicle micrometer counters arrow netty budgets; do
    jar=$(ls "$module"/target/segpool-"$module"-*.jar 2>/dev/null | grep -v -e '-sources' -e '-javadoc' -e '-tests' | head -1)
    if [ -z "$jar" ]; then
        echo "published-jars: no jar for $module in $module/target (run ./build verify first)" >&2
        exit 1
    fi
    if found=$(unzip -Z1 "$jar" | grep -E "$forbidden"); then
        echo "published-jars: $jar holds test-only types:" >&2
        echo "$found" >&2
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "published-jars: no test seam or ablation in the published jars"
exit "$status"
