#!/bin/sh
# The whole test suite, from a fresh clone: installs pnpm and the packages, the interop
# readers (Python venv with PyIceberg, Apache Iceberg Java), then lints, type-checks and tests.
set -eu
cd "$(dirname "$0")/../../.."
sh packages/devtools/bin/bootstrap.sh
sh packages/interop/setup.sh
echo "==> lint"
pnpm run lint
echo "==> type-check"
pnpm run typecheck
echo "==> API docs (TSDoc warnings fail the build)"
pnpm run docs
echo "==> tests"
pnpm test
