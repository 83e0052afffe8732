"""Start-up stays cheap: loading every plugin imports no torch."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys
from cnnstudio.host.manager import get_plugin_manager
manager = get_plugin_manager()
print(json.dumps({
    "torch": "torch" in sys.modules,
    "plugins": [r.name for r in manager.plugins],
    "failures": [f.plugin + ": " + f.message for f in manager.failures],
}))
"""


def test_constructing_the_manager_with_all_bundled_plugins_imports_no_torch(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["plugins"][0] == "cnnstudio"
    assert result["torch"] is False, f"torch imported at start-up; plugins: {result['plugins']}"


def test_internal_head_builds_a_real_classifier_on_demand():
    import torch

    from cnnstudio.host.manager import StudioPluginManager

    head = StudioPluginManager(builtins=False, entry_points=False, folders=[]).head("classification")
    module = head.build((4, 2, 2), 3, {})
    assert tuple(module(torch.zeros(5, 4, 2, 2)).shape) == (5, 3)
    assert head.description
