#!/usr/bin/env bash
# Builds the React example (examples/react: Vite + @openfeature/react-sdk
# with edgeflags' web provider) into examples/react/dist/ (not committed),
# with the repository's node_modules and the package from pkg/ (built
# first when missing), for tests/js/react-example.test.mjs. The test build
# polls the ruleset every second (VITE_EDGEFLAGS_INTERVAL, default 1000 ms
# here, 30 s in the example itself) so the test sees a change quickly.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
[ -f pkg/dist/openfeature-web.js ] || bash scripts/build-pkg.sh
# The example imports the package by name, as an app does.
mkdir -p examples/react/node_modules
ln -sfn ../../../pkg examples/react/node_modules/edgeflags
VITE_EDGEFLAGS_INTERVAL="${VITE_EDGEFLAGS_INTERVAL:-1000}" vite build examples/react
