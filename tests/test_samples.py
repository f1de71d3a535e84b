"""The committed sample config and policy files match what the code generates."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("tool,config,sample", [
    ("oslo-config-generator", "config-generator.conf", "join.conf.sample"),
    ("oslopolicy-sample-generator", "policy-generator.conf", "policy.yaml.sample"),
])
def test_sample_is_current(tool, config, sample, tmp_path):
    out = tmp_path / sample
    subprocess.run([str(BIN / tool), "--config-file", str(ROOT / "etc/novajoin" / config),
                    "--output-file", str(out)], check=True, cwd=ROOT)
    committed = (ROOT / "etc/novajoin" / sample).read_text()
    assert out.read_text() == committed, (
        f"etc/novajoin/{sample} is stale: regenerate it with "
        f"{tool} --config-file etc/novajoin/{config}")
