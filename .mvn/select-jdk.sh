# Sourced by ./build (which then runs the Apache ./mvnw), ./segpool, jcstress/run.sh,
# jmh/run-standard.sh and .ci/consumer.sh: puts a JDK 25+ in JAVA_HOME without touching the machine.
# Order: JAVA_HOME if it is 25 or newer, else the newest JDK 25+ under /usr/lib/jvm, else fail
# with a message that says what to install.

segpool_java_major() { # prints the feature version of the JDK at $1, or 0
  local release="$1/release" version
  [ -x "$1/bin/java" ] || { echo 0; return; }
  if [ -r "$release" ]; then
    version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  else
    version=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
  fi
  echo "${version:-0}"
}

segpool_select_jdk() {
  local required=25 candidate best="" best_major=0 major
  if [ -n "${JAVA_HOME:-}" ] && [ "$(segpool_java_major "$JAVA_HOME")" -ge "$required" ]; then
    export JAVA_HOME; return 0
  fi
  for candidate in /usr/lib/jvm/*; do
    [ -d "$candidate" ] || continue
    major=$(segpool_java_major "$candidate")
    if [ "$major" -ge "$required" ] && [ "$major" -gt "$best_major" ]; then
      best="$candidate"; best_major="$major"
    fi
  done
  if [ -z "$best" ]; then
    echo "segpool needs JDK $required or newer. JAVA_HOME='${JAVA_HOME:-}' is older or unset and no JDK $required+ is under /usr/lib/jvm." >&2
    echo "Install one (for example Temurin 25: apt-get install temurin-25-jdk) or point JAVA_HOME at it." >&2
    return 1
  fi
  export JAVA_HOME="$best"
}
