"""``patient-assistant serve-llm``: the vLLM command line, and a clear error when vLLM is missing."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.llm.vllm import serve_llm_main, vllm_available

pytestmark = pytest.mark.unit


def test_dry_run_prints_the_production_command(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    settings = Settings(data_dir=tmp_path, llm_model="hospital-llm", llm_api_key="k-123")
    assert serve_llm_main(["--dry-run", "--model", "Qwen/Qwen2.5-7B-Instruct", "--port", "8011"], settings) == 0
    cmd = capsys.readouterr().out.split()
    assert cmd[cmd.index("serve") + 1] == "Qwen/Qwen2.5-7B-Instruct"
    assert cmd[cmd.index("--served-model-name") + 1] == "hospital-llm"
    assert cmd[cmd.index("--max-model-len") + 1] == "8192"
    assert cmd[cmd.index("--port") + 1] == "8011" and "--host" in cmd
    assert cmd[cmd.index("--api-key") + 1] == "k-123"
    assert "--disable-log-requests" in cmd and "--enable-prefix-caching" in cmd


@pytest.mark.skipif(vllm_available(), reason="vLLM is installed here")
def test_missing_vllm_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    assert serve_llm_main([], Settings(data_dir=tmp_path)) == 2
    err = capsys.readouterr().err
    assert "vLLM is not installed" in err and "pip install" in err and "PA_LLM_BASE_URL" in err
