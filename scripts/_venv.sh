# Shared by scripts/demo and scripts/test: make .venv and install the project into it.
# Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CRMTUI_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
ensure_venv() {
    local extra="$1"   # "" or "[test]"
    if [ ! -x "$VENV/bin/python" ]; then
        echo "crmtui: creating virtualenv in $VENV" >&2
        if ! "$PY" -m venv "$VENV" >&2; then
            # Some distributions ship Python without the venv module's pip (Debian: python3-venv).
            echo "crmtui: python -m venv failed; trying virtualenv from PyPI" >&2
            rm -rf "$VENV"
            "$PY" -m pip install --quiet --user virtualenv >&2
            "$PY" -m virtualenv --quiet "$VENV" >&2
        fi
    fi
    local stamp="$VENV/.crmtui-installed$extra"
    if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
        echo "crmtui: installing crmtui$extra into $VENV" >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT$extra" >&2
        touch "$stamp"
    fi
}
