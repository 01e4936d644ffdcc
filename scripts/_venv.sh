# Shared by scripts/demo, scripts/test and scripts/screenshots: make .venv and install the project
# into it. Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CRMTUI_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

_has_pip() {
    "$VENV/bin/python" -m pip --version >/dev/null 2>&1
}

# Put pip into a venv made --without-pip, by the first way that works here.
_bootstrap_pip() {
    local vpy="$VENV/bin/python" whl getpip
    # 1. the venv's own ensurepip (missing where the distribution split it out, e.g. Debian's python3-venv)
    "$vpy" -m ensurepip --upgrade --default-pip >/dev/null 2>&1 && _has_pip && return 0
    # 2. the system's pip installing into the venv (pip >= 22.3; PEP 668 does not apply inside a venv)
    "$PY" -m pip --python "$vpy" install --quiet --disable-pip-version-check pip >/dev/null 2>&1 && _has_pip && return 0
    # 3. a pip wheel the distribution ships (Debian/Ubuntu python3-pip-whl), run from the wheel itself
    for whl in /usr/share/python-wheels/pip-*.whl; do
        [ -f "$whl" ] || continue
        "$vpy" "$whl/pip" install --quiet --disable-pip-version-check pip >/dev/null 2>&1 && _has_pip && return 0
    done
    # 4. get-pip.py from the Python Packaging Authority
    getpip="$VENV/get-pip.py"
    if "$vpy" -c 'import sys, urllib.request; urllib.request.urlretrieve("https://bootstrap.pypa.io/get-pip.py", sys.argv[1])' \
        "$getpip" >/dev/null 2>&1; then
        "$vpy" "$getpip" --quiet --disable-pip-version-check >/dev/null 2>&1 && rm -f "$getpip" && _has_pip && return 0
    fi
    rm -f "$getpip"
    return 1
}

# A virtualenv with pip in $VENV. `python -m venv` fails where the distribution ships venv without
# ensurepip (Debian/Ubuntu without python3-venv), and there `pip install --user` is refused too
# (PEP 668, externally-managed-environment): so make the venv without pip and add pip to it, and
# only then try virtualenv from PyPI.
_make_venv() {
    "$PY" -m venv "$VENV" >/dev/null 2>&1 && return 0
    echo "crmtui: python -m venv failed; making the venv without pip and adding pip" >&2
    rm -rf "$VENV"
    if "$PY" -m venv --without-pip "$VENV" >/dev/null 2>&1 && _bootstrap_pip; then
        return 0
    fi
    echo "crmtui: no way to add pip found; trying virtualenv from PyPI" >&2
    rm -rf "$VENV"
    if ! "$PY" -m virtualenv --version >/dev/null 2>&1; then
        "$PY" -m pip install --quiet --disable-pip-version-check --user --no-warn-script-location virtualenv >/dev/null 2>&1 \
            || "$PY" -m pip install --quiet --disable-pip-version-check --user --no-warn-script-location --break-system-packages virtualenv >&2 \
            || return 1
    fi
    "$PY" -m virtualenv --quiet "$VENV" >&2
}

ensure_venv() {
    local extra="$1"   # "" or "[test]"
    if [ ! -x "$VENV/bin/python" ]; then
        echo "crmtui: creating virtualenv in $VENV" >&2
        if ! _make_venv; then
            rm -rf "$VENV"
            echo "crmtui: could not create a virtualenv with $PY; install python3-venv (Debian/Ubuntu) or virtualenv, or set PYTHON" >&2
            return 1
        fi
    fi
    local stamp="$VENV/.crmtui-installed$extra"
    if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
        if ! _has_pip && ! _bootstrap_pip; then  # e.g. a venv left half-made by an interrupted run
            echo "crmtui: $VENV has no pip; remove it and run again" >&2
            return 1
        fi
        echo "crmtui: installing crmtui$extra into $VENV" >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT$extra" >&2
        touch "$stamp"
    fi
}
