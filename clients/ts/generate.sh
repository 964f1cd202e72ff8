#!/usr/bin/env bash
# Regenerates src/schema.gen.ts from openapi.yaml (run by `make generate` through
# api/generate.go). The output is a function of the spec alone: the generator is pinned
# in package-lock.json and installed with `npm ci` when node_modules is missing.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x node_modules/.bin/openapi-typescript ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
node_modules/.bin/openapi-typescript ../../openapi.yaml --output src/schema.gen.ts >/dev/null
