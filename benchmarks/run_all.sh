#!/usr/bin/env bash
# Every benchmark, one after the other, on the embedded defaults. Each prints its own figures.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
for b in chat_turns booking reports retrieval asr_stream; do
  echo "=== benchmarks/$b.py"
  "$PY" "benchmarks/$b.py" || echo "(benchmarks/$b.py failed with exit $?)"
done
