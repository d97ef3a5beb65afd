#!/bin/sh
# Installs the independent readers and writers the interop tests compare Lake with:
#   .venv/        PyIceberg (python/requirements.txt, every version pinned)
#   java/target/  the Apache Iceberg Java harness, compiled, with target/classpath.txt for `java -cp`
# Safe to run again: each half is rebuilt only when its inputs changed (warm: about a second).
# Any failure stops the script with a non-zero exit, so CI fails before the tests instead of
# running them against a half-installed harness.
set -eu
cd "$(dirname "$0")"

fail() {
  echo "interop setup: $*" >&2
  exit 1
}

# ------------------------------------------------------------------------ PyIceberg in .venv
PYTHON=${LAKE_INTEROP_PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then
      PYTHON=$candidate
      break
    fi
  done
fi
[ -n "$PYTHON" ] || fail "needs Python 3.11 on PATH (or LAKE_INTEROP_PYTHON)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' ||
  fail "needs Python 3.11, $PYTHON is $("$PYTHON" --version 2>&1)"

stamp=.venv/.lake-requirements.txt
if [ -f "$stamp" ] && cmp -s python/requirements.txt "$stamp" &&
  .venv/bin/python -c 'import pyiceberg, pyarrow, pyiceberg_core, sqlalchemy' 2>/dev/null; then
  echo "interop setup: PyIceberg is up to date"
else
  echo "interop setup: installing PyIceberg into packages/interop/.venv"
  rm -rf .venv
  "$PYTHON" -m venv .venv || fail "could not create .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r python/requirements.txt ||
    fail "pip could not install python/requirements.txt"
  .venv/bin/python -c 'import pyiceberg, pyarrow, pyiceberg_core, sqlalchemy' ||
    fail "PyIceberg does not import after installing"
  cp python/requirements.txt "$stamp"
fi

# ------------------------------------------------------------------------ Iceberg Java harness
command -v java >/dev/null 2>&1 || fail "needs a Java 17+ runtime (java) on PATH"
command -v mvn >/dev/null 2>&1 || fail "needs Maven (mvn) on PATH"
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[ "${java_major:-0}" -ge 17 ] 2>/dev/null || fail "needs Java 17 or later, found ${java_major:-none}"

built=java/target/.lake-built
up_to_date() {
  [ -f "$built" ] && [ -f java/target/classpath.txt ] || return 1
  [ -z "$(find java/pom.xml java/src -newer "$built" 2>/dev/null | head -n 1)" ] || return 1
  # The classpath names jars in ~/.m2; a cleaned Maven cache means building again.
  for jar in $(tr ':' ' ' <java/target/classpath.txt); do
    [ -f "$jar" ] || return 1
  done
}
if up_to_date; then
  echo "interop setup: Java harness is up to date"
else
  echo "interop setup: building the Java harness (Apache Iceberg Java) with Maven"
  rm -f "$built"
  mvn --batch-mode --quiet -f java/pom.xml compile || fail "Maven could not build java/"
  [ -s java/target/classpath.txt ] || fail "Maven wrote no java/target/classpath.txt"
  touch "$built"
fi
echo "interop setup: ready"
