#!/usr/bin/env bash
# Create .venv with Python 3.11 and install a requirements file into it (only when it changed).
# Usage: scripts/ensure-venv.sh requirements.txt
set -euo pipefail
cd "$(dirname "$0")/.."
req="${1:-requirements.txt}"

pick_python() {
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)'; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ]; then
  py=$(pick_python) || { echo "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)." >&2; exit 1; }
  if ! "$py" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "Installing python3-venv from Debian's packages…"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$py" -m venv .venv
    else
      echo "Python's venv module is missing. Install it: sudo apt-get install python3-venv" >&2
      exit 1
    fi
  fi
  .venv/bin/python -m pip install -q --upgrade pip
fi

stamp=".venv/.installed-$(basename "$req")"
sum=$(cat "$req" requirements.txt constraints.txt 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
  echo "Installing $req into .venv…"
  .venv/bin/python -m pip install -q -r "$req" -c constraints.txt
  echo "$sum" > "$stamp"
fi
