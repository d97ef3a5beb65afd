#!/bin/sh
# The whole test suite, from a fresh clone: installs pnpm and the packages, the interop readers
# (Python venv with PyIceberg, Apache Iceberg Java) and the dev stack (HDFS, Kafka, Lake's REST
# catalog, Trino), then lints, type-checks, builds the API docs, checks the built packages (CommonJS
# and ESM), runs the tests, and the integration tests against the stack. The stack is left
# running (`pnpm stack down` stops it).
set -eu
cd "$(dirname "$0")/../../.."
sh packages/devtools/bin/bootstrap.sh
sh packages/interop/setup.sh
echo "==> dev stack: HDFS, Kafka, REST catalog, Trino"
pnpm stack up
echo "==> lint"
pnpm run lint
echo "==> type-check"
pnpm run typecheck
echo "==> API docs (TSDoc warnings fail the build)"
pnpm run docs
echo "==> the built packages, as CommonJS and ESM"
node packages/devtools/bin/check-dist.mjs
echo "==> tests"
pnpm test
echo "==> integration tests against the dev stack"
pnpm exec vitest run --config packages/stack/vitest.integration.config.ts
pnpm exec vitest run --config packages/ingest/vitest.integration.config.ts
