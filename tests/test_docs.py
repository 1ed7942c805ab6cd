"""The API reference (mkdocs + mkdocstrings) builds from the docstrings with no warning."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS_TOOLS = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")


def _missing_tools() -> list[str]:
    missing = []
    for name in DOCS_TOOLS:
        try:
            if importlib.util.find_spec(name) is None:
                missing.append(name)
        except ModuleNotFoundError:
            missing.append(name)
    return missing


@pytest.mark.docs
@pytest.mark.skipif(bool(_missing_tools()),
                    reason="mkdocs, mkdocs-material or mkdocstrings[python] (the dev extra) "
                           "is not installed")
def test_api_reference_builds_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict",
         "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stdout}\n{run.stderr}"
    # every public API page documents its module's entry points
    expected = {
        "io": ["dlc_lifter.io.read_poses", "dlc_lifter.io.read_dlc_config",
               "dlc_lifter.io.load_anipose"],
        "lift": ["dlc_lifter.lift.lift_file", "dlc_lifter.lift.options.CameraSpec",
                 "dlc_lifter.lift.live.LiveLifter"],
        "mouse": ["dlc_lifter.mouse.plan_keypoint_map"],
        "analysis": ["dlc_lifter.analysis.features.compute_features"],
        "integrations": ["dlc_lifter.integrations.dlclive.LiftProcessorOptions"],
        "nets": ["dlc_lifter.nets.depth_train.train_depth_weights",
                 "dlc_lifter.nets.fusion_train.train_fused_weights"],
        "core": ["dlc_lifter.poses.Poses", "dlc_lifter.camera.Camera"],
    }
    for page, ids in expected.items():
        html = (site / "api" / page / "index.html").read_text(encoding="utf-8")
        for anchor in ids:
            assert f'id="{anchor}"' in html, f"{anchor} is missing from api/{page}"
        assert ":class:<code>" not in html  # Sphinx roles shown as plain code (docs/hooks.py)
    for page in ("CONVENTIONS", "formats", "cluster", "results", "changelog"):
        assert (site / page / "index.html").is_file()


def test_cluster_examples_run_as_scripts() -> None:
    """docs/cluster.md's Python examples compile, and each one that starts a cluster or a
    process pool does so under ``if __name__ == "__main__":`` (saved as a script, a
    LocalCluster's workers import it again and, unguarded, fail to start)."""
    text = (ROOT / "docs" / "cluster.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    starters = {"LocalCluster", "SLURMCluster", "ProcessPoolExecutor", "Client"}
    started = 0
    for code in blocks:
        tree = ast.parse(code)
        guarded: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
                guarded |= {id(n) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in starters):
                started += 1
                assert id(node) in guarded, f"{node.func.id}(...) unguarded in:\n{code}"
    assert started >= 3  # the dask and SLURM examples were looked at


def test_every_known_skeleton_is_in_the_formats_table() -> None:
    """docs/formats.md's table of known skeletons names each of ``KNOWN_SKELETONS``
    (``avatar`` was missing), as ``dlc-lifter catalogue --set NAME`` takes them."""
    from dlc_lifter.mouse.skeletons import KNOWN_SKELETONS

    text = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\s*\| `(\w+)`", text, flags=re.M)) | set(
        re.findall(r"^\s*\| `\w+`, `(\w+)`", text, flags=re.M))
    assert [k.name for k in KNOWN_SKELETONS if k.name not in listed] == []
