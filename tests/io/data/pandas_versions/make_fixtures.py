"""Write the DeepLabCut .h5 fixtures of this folder with the pandas that runs this script.

Usage (from this folder, in an environment with pandas, numpy and tables; dlc_lifter is
not needed)::

    python make_fixtures.py

writes, for pandas ``X.Y``:

- ``dlc2d_pandasX.Y_table.h5``: ``analyze_videos`` layout (key ``df_with_missing``,
  ``scorer / bodyparts / coords`` with x, y, likelihood, integer frame index), written with
  ``format="table"`` as DeepLabCut writes it;
- ``dlc2d_pandasX.Y_fixed.h5``: the same table in pandas' default fixed format;
- ``CollectedData_pandasX.Y.h5``: labelled-data layout (no likelihood, row index
  ``labeled-data / video / img*.png``, the first 8 frames), fixed format (pandas cannot
  store MultiIndex rows and columns as a table; DeepLabCut writes these fixed).

The poses come from ``source.npz`` (see README.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SCORER = "DLC_resnet50_synthJan1shuffle1_1000"


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    src = np.load(HERE / "source.npz")
    uv, lik, parts = src["uv"], src["likelihood"], [str(b) for b in src["bodyparts"]]
    n, k = lik.shape
    data = np.concatenate([uv, lik[..., None]], axis=-1).reshape(n, k * 3)
    cols = pd.MultiIndex.from_product([[SCORER], parts, ["x", "y", "likelihood"]],
                                      names=["scorer", "bodyparts", "coords"])
    analyzed = pd.DataFrame(data, columns=cols, index=np.arange(n))
    m = 8
    labels = pd.DataFrame(
        uv[:m].reshape(m, k * 2),
        columns=pd.MultiIndex.from_product([["Alice"], parts, ["x", "y"]],
                                           names=["scorer", "bodyparts", "coords"]),
        index=pd.MultiIndex.from_tuples(
            [("labeled-data", "mouse1", f"img{i:03d}.png") for i in range(m)]))
    return analyzed, labels


def main() -> None:
    tag = ".".join(pd.__version__.split(".")[:2])
    analyzed, labels = frames()
    analyzed.to_hdf(HERE / f"dlc2d_pandas{tag}_table.h5", key="df_with_missing",
                    format="table", mode="w")
    analyzed.to_hdf(HERE / f"dlc2d_pandas{tag}_fixed.h5", key="df_with_missing", mode="w")
    # pandas cannot write MultiIndex rows and columns as a table: fixed, as DLC does
    labels.to_hdf(HERE / f"CollectedData_pandas{tag}.h5", key="df_with_missing", mode="w")
    print(f"wrote the pandas {pd.__version__} fixtures to {HERE}")


if __name__ == "__main__":
    main()
