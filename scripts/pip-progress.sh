# Sourced by scripts/bootstrap.sh: turn pip's output into a short progress line.
#
#   pip install ... | pip_progress TOTAL
#
# TOTAL is the number of pinned lines in the lock files; pip's "Ignoring X: markers ..." lines
# (packages for another Python or OS) take one off it. On a terminal the line is rewritten in
# place ("  packages 14/63: onnxruntime"); in a log (CI, a pipe) a line is printed every 10
# packages and at the last, so a first run is never minutes of silence. pip's errors go to
# stderr (its WARNING lines are left out, as `pip -qq` did; ERROR lines and what follows them
# are kept); with `set -o pipefail` pip's exit status is the pipeline's.
pip_progress() {
  local total="$1" done=0 line name
  local tty=0 failing=0
  [ -t 2 ] && tty=1
  while IFS= read -r line; do
    case "$line" in
      ERROR:*|error:*)
        failing=1
        [ "$tty" = 1 ] && printf '\r\033[K' >&2
        printf '%s\n' "$line" >&2 ;;
      WARNING:*) ;;
      Ignoring\ *)
        total=$((total - 1)) ;;
      Collecting\ *|Processing\ *|Requirement\ already\ satisfied:\ *)
        done=$((done + 1))
        name="${line#Collecting }"
        name="${name#Requirement already satisfied: }"
        name="${name#Processing }"  # a wheel file from a local folder (pip's --find-links)
        name="${name%% *}"
        name="${name##*/}"
        name="${name%%==*}"
        name="${name%%-[0-9]*}"
        if [ "$tty" = 1 ]; then
          printf '\r\033[K  packages %d/%d: %s' "$done" "$total" "$name" >&2
        elif [ $((done % 10)) = 0 ] || [ "$done" = "$total" ]; then
          printf '  packages %d/%d: %s\n' "$done" "$total" "$name" >&2
        fi ;;
      Installing\ collected\ packages:*)
        [ "$tty" = 1 ] && printf '\r\033[K' >&2
        printf '  unpacking and installing them (the longest part, about half a minute)\n' >&2 ;;
      *)
        [ "$failing" = 1 ] && printf '%s\n' "$line" >&2 ;;
    esac
  done
  [ "$tty" = 1 ] && [ "$done" -gt 0 ] && printf '\r\033[K' >&2
  return 0
}

# How many packages the lock files pin: the lines that start with a name and `==`.
pinned() { cat "$@" | grep -cE '^[A-Za-z0-9][A-Za-z0-9._-]*==' || true; }
