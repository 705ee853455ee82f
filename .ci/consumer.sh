#!/usr/bin/env bash
# Proves the published artifacts are complete: deploys segpool as a release would (POMs, jars,
# sources and javadoc jars, the parent and the BOM) to a file repository, checks what landed
# there against the BOM, then builds and runs examples/consumer against that repository alone.
#
# The consumer's local repository (~/.m2/segpool-consumer, kept between runs for the plugins it
# downloads from Maven Central) has every io.segpool artifact removed first, so each of them must
# come from the file repository: checked afterwards from the repository ids Maven records.
# About a minute and a half on 2 cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
# The consumer compiles for and runs on Java 25, with the Maven that runs it.
# shellcheck source=../.mvn/select-jdk.sh
. .mvn/select-jdk.sh
segpool_select_jdk

version=$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' pom.xml | head -1)
staging="$root/target/staging-repo"
rm -rf "$staging"
echo "consumer.sh: deploying segpool $version to $staging"
./mvnw -B -ntp -q -DskipTests deploy -DaltDeploymentRepository="segpool-staging::file://$staging"

# What a release would publish: every artifact of the BOM with its POM, jar, sources and javadoc,
# plus the parent and the BOM; and nothing else (a module that is not published skips deploy).
fail=0
published=$(sed -n 's:.*<artifactId>\(segpool-[a-z-]*\)</artifactId>.*:\1:p' bom/pom.xml | grep -vx segpool-bom)
for a in segpool-parent segpool-bom; do
  ls "$staging/io/segpool/$a/$version/"*.pom >/dev/null 2>&1 || { echo "consumer.sh: $a has no POM in $staging" >&2; fail=1; }
done
for a in $published; do
  dir="$staging/io/segpool/$a/$version"
  for kind in .pom .jar -sources.jar -javadoc.jar; do
    ls "$dir/"*[0-9]"$kind" >/dev/null 2>&1 || { echo "consumer.sh: $a has no ${kind#-} in $staging" >&2; fail=1; }
  done
done
for dir in "$staging"/io/segpool/*/; do
  a=$(basename "$dir")
  case " segpool-parent segpool-bom $(echo $published) " in
    *" $a "*) ;;
    *) echo "consumer.sh: $a was deployed but is not in the BOM (add it there, or set maven.deploy.skip)" >&2; fail=1 ;;
  esac
done
[ "$fail" = 0 ] || exit 1
echo "consumer.sh: deployed segpool-parent, segpool-bom and" $published "with sources and javadoc"

local_repo="$HOME/.m2/segpool-consumer"
rm -rf "$local_repo/io/segpool" examples/consumer/target
./mvnw -B -ntp -q -f examples/consumer/pom.xml process-classes \
  -Dmaven.repo.local="$local_repo" -Dsegpool.repo="file://$staging" -Dsegpool.version="$version"

# Every io.segpool file the consumer resolved must name the staging repository as its source.
others=$(find "$local_repo/io/segpool" -name '_remote.repositories' -exec grep -H -v -e '^#' -e '>segpool-staging=$' {} + || true)
if [ -n "$others" ]; then
  echo "consumer.sh: io.segpool artifacts resolved from elsewhere than the staging repository:" >&2
  echo "$others" >&2
  exit 1
fi
echo "consumer.sh: passed (every io.segpool artifact came from $staging)"
