#!/bin/sh
# Installs what building and running Lake needs: the pinned pnpm, the workspace's packages,
# and a build of every package. Safe to run again; a warm machine takes seconds.
set -eu
PNPM_VERSION=12.4.2
cd "$(dirname "$0")/../../.."

if ! command -v node >/dev/null 2>&1; then
  echo "Lake needs Node.js 20 or later on PATH" >&2
  exit 1
fi
if [ "$(command -v pnpm >/dev/null 2>&1 && pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "==> installing pnpm $PNPM_VERSION"
  npm install --global --silent "pnpm@$PNPM_VERSION"
fi
echo "==> installing packages"
pnpm install --frozen-lockfile --reporter=append-only
echo "==> building packages"
pnpm run build
