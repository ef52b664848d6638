"""The same bits as the C++ library: the package against the icl-metrics program (built from
the same headers) on one data set. ICL_METRICS_PROGRAM names the program; skipped without it."""

import json
import os
import subprocess

import numpy as np
import pytest

import icl_metrics as im

PROGRAM = os.environ.get("ICL_METRICS_PROGRAM", "")


@pytest.mark.skipif(not os.path.isfile(PROGRAM), reason="ICL_METRICS_PROGRAM does not name the program")
def test_bit_for_bit_with_the_program(tmp_path):
    rng = np.random.default_rng(5)
    H = rng.standard_normal((3, 50, 16))
    labels = np.arange(50) % 4
    np.save(tmp_path / "H.npy", H)
    np.save(tmp_path / "L.npy", labels.astype(np.int64))
    E = rng.standard_normal((4, 16))
    np.save(tmp_path / "E.npy", E)

    def run(*args):
        out = subprocess.run([PROGRAM, *args], cwd=tmp_path, capture_output=True, text=True, check=True)
        return json.loads(out.stdout)["result"]

    decode = run("decode", "H.npy", "--labels", "L.npy")
    assert decode["overall"] == im.decodability_curve(H, labels).values.tolist()
    cka = run("cka", "H.npy")
    assert cka["cka"] == im.cka_matrix(H).tolist()
    geometry = run("geometry", "H.npy", "--labels", "L.npy", "--label-directions", "E.npy")
    rank = geometry["denoise_rank"]
    layers = [im.separability_alignment(H[l], labels, E, denoise_rank=rank) for l in range(3)]
    for field in ("separability", "output_alignment", "composite_alignment", "denoised_output_alignment"):
        assert geometry[field] == [getattr(r, field) for r in layers], field
