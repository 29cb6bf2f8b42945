#!/usr/bin/env bash
# `npm test`, from a clean clone: the system packages the tests need (installTestDeps.sh), the npm
# packages (npm ci, when node_modules is missing or older than package-lock.json), then the type
# check, the style checks (Prettier, ESLint), the Node suite on both CPU Vulkan drivers and the Playwright suite in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/installTestDeps.sh
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "+ npm ci --no-audit --no-fund"
  npm ci --no-audit --no-fund
fi
npm run typecheck
npm run lint
npm run test:node
npm run test:e2e
