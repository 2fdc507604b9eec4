#!/usr/bin/env bash
# CI hook: build the desktop install from a clean venv and run the frozen smoke test.
# Called by .ci/run after the test suite. Needs only PyPI (pip) and Qt's system libraries
# that .ci/run already installs (libEGL, fontconfig, xkbcommon). Budget: about 5 min on the
# 2-core CI machine (figures in packaging/BENCH_RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
PYTHON="${PYTHON:-python3.11}"
start=$(date +%s)
"$PYTHON" packaging/build.py "$@"
"$PYTHON" packaging/smoke_test.py --report build/smoke-report.json
echo "desktop build + frozen smoke test: $(( $(date +%s) - start )) s; bundle $(du -sh dist/facedesk | cut -f1)"
