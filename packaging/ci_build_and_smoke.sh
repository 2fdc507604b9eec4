#!/usr/bin/env bash
# CI hook: build the desktop install from a clean venv, package it as a .deb, install that
# into a scratch root (dpkg -x) and run the frozen smoke test from there. Called by .ci/run
# after the test suite. Needs only PyPI (pip), dpkg-deb (Debian's dpkg) and Qt's system
# libraries that .ci/run already installs (libEGL, fontconfig, xkbcommon). Budget: about
# 5 min on the 2-core CI machine (figures in packaging/BENCH_RESULTS.md). One build only:
# the .deb is made from the bundle just built, and one smoke run covers both.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
PYTHON="${PYTHON:-python3.11}"
start=$(date +%s)
"$PYTHON" packaging/build.py "$@"
# Size by component (the BENCHMARKS.md table); fails over issue 21's 300 MB (295.5 MB when
# first met; FACEDESK_BUNDLE_LIMIT_MB overrides it).
"$PYTHON" packaging/bundle_size.py dist/facedesk --json build/bundle-size.json --limit-mb "${FACEDESK_BUNDLE_LIMIT_MB:-300}"
if command -v dpkg-deb >/dev/null; then
  rm -f dist/facedesk_*.deb
  # The build venv's Python: it has Pillow for the icon sizes.
  build/venv/bin/python packaging/linux/make_deb.py
  "$PYTHON" packaging/linux/check_deb.py dist/facedesk_*.deb --report build/smoke-report.json
else
  echo "no dpkg-deb here: smoke-testing the bundle folder instead of the .deb"
  "$PYTHON" packaging/smoke_test.py --report build/smoke-report.json
fi
echo "desktop build + .deb + frozen smoke test: $(( $(date +%s) - start )) s; bundle $(du -sh dist/facedesk | cut -f1)"
