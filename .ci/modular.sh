#!/usr/bin/env bash
# CI: segpool on the module path. Builds examples/modular-app (module `app`, which requires only
# io.segpool.allocator and io.segpool.pools) with javac --module-path against the stats, allocator
# and pools jars, and runs it
#   1. with java --module-path ... --enable-native-access=io.segpool.allocator -m app/... (no
#      --add-modules: jdk.jfr and java.management must come from the modules' own `requires`),
#      under a JFR recording that must hold io.segpool.Refill events from the named module (off by
#      default, so the recording names them);
#   2. the same with --limit-modules app (the runtime holds only what app's requires reach);
#   3. from a jlink image made with --add-modules app only.
# Each run must exit 0, print "modular app OK" and write nothing to stderr (a missing
# --enable-native-access grant would show there as a JDK warning).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./build -B -ntp -q -pl stats,allocator,pools -am -DskipTests package

# shellcheck source=../.mvn/select-jdk.sh
. .mvn/select-jdk.sh
segpool_select_jdk
jdk="$JAVA_HOME/bin"

app=examples/modular-app
out="$app/target"
rm -rf "$out"
mkdir -p "$out/mods" "$out/classes"
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)
# The library jars only: not the -sources and -javadoc jars the build attaches beside them.
for module in stats allocator pools; do
  cp "$module/target/segpool-$module-$version.jar" "$out/mods/"
done
for jar in "$out"/mods/*.jar; do
  # A jar without module-info.class would be an automatic module, which jlink refuses.
  if "$jdk/jar" --describe-module --file "$jar" | grep -qi automatic; then
    echo "FAIL: $jar has no module-info.class" >&2; exit 1
  fi
done

"$jdk/javac" -Xlint:all -Werror --module-path "$out/mods" -d "$out/classes" $(find "$app/src/app" -name '*.java')
"$jdk/jar" --create --file "$out/mods/app.jar" -C "$out/classes" .

main=app/io.segpool.example.modular.Main
run() { # run NAME JAVA ARGS...: the app must exit 0, say OK and print nothing on stderr
  local name="$1" java="$2"; shift 2
  if ! "$java" "$@" >"$out/$name.out" 2>"$out/$name.err"; then
    echo "FAIL: $name exited non-zero" >&2; cat "$out/$name.out" "$out/$name.err" >&2; exit 1
  fi
  if [ -s "$out/$name.err" ] || ! grep -q '^modular app OK$' "$out/$name.out"; then
    echo "FAIL: $name: output not clean" >&2; cat "$out/$name.out" "$out/$name.err" >&2; exit 1
  fi
  echo "$name: $(grep "^allocator:" "$out/$name.out")"
}

run module-path "$jdk/java" --module-path "$out/mods" --enable-native-access=io.segpool.allocator \
  -XX:StartFlightRecording=filename="$out/app.jfr",+io.segpool.Refill#enabled=true -m "$main"
refills=$("$jdk/jfr" summary "$out/app.jfr" | awk '$1 == "io.segpool.Refill" { print $2 }')
if [ "${refills:-0}" -eq 0 ]; then
  echo "FAIL: no io.segpool.Refill event in the recording" >&2; exit 1
fi
echo "module-path: $refills io.segpool.Refill events recorded"

run limit-modules "$jdk/java" --module-path "$out/mods" --limit-modules app \
  --enable-native-access=io.segpool.allocator -m "$main"

"$jdk/jlink" --module-path "$out/mods" --add-modules app --output "$out/image" --strip-debug --no-header-files --no-man-pages
"$out/image/bin/java" --list-modules >"$out/image-modules.txt"
for needed in app io.segpool.allocator io.segpool.pools io.segpool.stats jdk.jfr java.management; do
  grep -q "^$needed@\?" "$out/image-modules.txt" || { echo "FAIL: $needed missing from the image" >&2; exit 1; }
done
run jlink-image "$out/image/bin/java" --enable-native-access=io.segpool.allocator -m "$main"
echo "jlink image: $(tr '\n' ' ' <"$out/image-modules.txt")"
echo "OK: modular app on the module path, with --limit-modules, and jlinked"

# segpool-arrow on the module path: examples/modular-arrow (module `arrowapp`, which requires only
# io.segpool.arrow) against segpool-arrow's jar and its runtime class path (arrow/target/
# runtime-classpath.txt: the allocator, Arrow's memory core and Unsafe manager, SLF4J's API).
# Arrow's flag on Java 25: --sun-misc-unsafe-memory-access=allow (Arrow reads and writes through
# Unsafe; without it the JDK warns on stderr). SLF4J's "no providers" notice is the one stderr
# line allowed: choosing a logging binding is the application's business.
./build -B -ntp -q -pl arrow -am -DskipTests package
arrowapp=examples/modular-arrow
aout="$arrowapp/target"
rm -rf "$aout"
mkdir -p "$aout/classes"
apath="arrow/target/segpool-arrow-$version.jar:$(cat arrow/target/runtime-classpath.txt)"
# -classfile: Arrow's classes name Checker Framework annotations that are not on its runtime path (a
# lint warning about their class files, not about this app).
"$jdk/javac" -Xlint:all,-classfile -Werror --module-path "$apath" -d "$aout/classes" $(find "$arrowapp/src/arrowapp" -name '*.java')
if ! "$jdk/java" --module-path "$aout/classes:$apath" --enable-native-access=io.segpool.allocator \
    --sun-misc-unsafe-memory-access=allow -m arrowapp/io.segpool.example.arrow.Main >"$aout/run.out" 2>"$aout/run.err"; then
  echo "FAIL: modular arrow app exited non-zero" >&2; cat "$aout/run.out" "$aout/run.err" >&2; exit 1
fi
if grep -v '^SLF4J' "$aout/run.err" | grep -q . || ! grep -q '^modular arrow app OK$' "$aout/run.out"; then
  echo "FAIL: modular arrow app: output not clean" >&2; cat "$aout/run.out" "$aout/run.err" >&2; exit 1
fi
echo "OK: modular arrow app on the module path ($(grep '^arrow:' "$aout/run.out"))"
# segpool-netty on the module path: examples/netty-modular-app (module `nettyapp`, which requires
# only io.segpool.netty) against the netty, allocator and stats jars and Netty's buffer and common
# jars (explicit modules); native access for segpool's allocator and Netty's common module.
napp=examples/netty-modular-app
nout="$napp/target"
rm -rf "$nout"
mkdir -p "$nout/classes"
./build -B -ntp -q -pl netty -am -DskipTests package dependency:copy-dependencies -DincludeScope=runtime \
  -DexcludeGroupIds=io.segpool -DoutputDirectory="$PWD/$nout/mods"
for module in stats allocator netty; do
  cp "$module/target/segpool-$module-$version.jar" "$nout/mods/"
done
"$jdk/javac" -Xlint:all -Werror --module-path "$nout/mods" -d "$nout/classes" $(find "$napp/src/nettyapp" -name '*.java')
"$jdk/jar" --create --file "$nout/mods/nettyapp.jar" -C "$nout/classes" .
"$jdk/java" --module-path "$nout/mods" --enable-native-access=io.segpool.allocator,io.netty.common \
  -m nettyapp/io.segpool.example.netty.Main >"$nout/run.out" 2>"$nout/run.err" \
  || { echo "FAIL: netty modular app exited non-zero" >&2; cat "$nout/run.out" "$nout/run.err" >&2; exit 1; }
if [ -s "$nout/run.err" ] || ! grep -q '^netty modular app OK$' "$nout/run.out"; then
  echo "FAIL: netty modular app: output not clean" >&2; cat "$nout/run.out" "$nout/run.err" >&2; exit 1
fi
echo "netty module-path: $(grep '^allocator:' "$nout/run.out")"
