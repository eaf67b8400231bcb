"""Writes src/methods/golden/appendix-b.json: small inputs and the outputs of mergekit-spec Appendix B's float64
NumPy references (refs.py), so the TypeScript transcription in src/methods/reference.test-support.ts is checked
against the original. Run once (needs numpy), commit the JSON:

    python3 scripts/goldens/make-method-goldens.py ../shared/research/mergekit-spec.md src/methods/golden/appendix-b.json
"""
import json
import re
import sys

import numpy as np

spec, out = sys.argv[1], sys.argv[2]
code = re.search(r"### `refs.py`\s*```python\n(.*?)```", open(spec).read(), re.S).group(1)
refs = {}
exec(code, refs)

rng = np.random.default_rng(20261124)
n = 33
base = rng.normal(0, 0.02, n).astype(np.float32)
tunes = [(base + rng.normal(0, 0.006, n)).astype(np.float32) for _ in range(3)]
unrelated = rng.normal(0, 0.02, n).astype(np.float32)
mat = [t.reshape(3, 11) for t in tunes]
b64 = base.astype(np.float64)
x = [t.astype(np.float64) for t in tunes]


def deltas():
    return [np.float32(t) - np.float32(base) for t in tunes]


cases = {
    "slerp_fine": refs["slerp"](0.3, b64, x[0]),
    "slerp_unrelated": refs["slerp"](0.77, b64, unrelated.astype(np.float64)),
    "nearswap": refs["nearswap"](0.004, b64, x[0]),
    "linear": refs["linear"](x, [0.3, 0.5, 0.2]),
    "ties": refs["gta"](b64, x, [0.6, 0.4, -0.3], masks=[refs["topk_mask"](d.astype(np.float64), r) for d, r in zip(deltas(), [0.5, 0.3, 0.7])], consensus=True, normalize=True),
    "breadcrumbs_mask": refs["breadcrumbs_mask"](deltas()[0].astype(np.float64), 0.6, 0.1),
    "nuslerp_flat": refs["nuslerp_flat"](0.7, x[0], x[1]),
    "nuslerp_rows": refs["nuslerp_rows"](0.7, mat[0].astype(np.float64), mat[1].astype(np.float64)).ravel(),
    "multislerp": refs["multislerp"](x, [0.2, 0.5, 0.3]),
    "karcher": refs["karcher"]([x[0], x[1], unrelated.astype(np.float64)]),
    "model_stock": refs["model_stock"](b64, x),
    "sce": refs["sce"](b64, x, 0.5),
}
json.dump(
    {
        "base": base.tolist(),
        "tunes": [t.tolist() for t in tunes],
        "unrelated": unrelated.tolist(),
        "outputs": {k: np.asarray(v, np.float64).ravel().tolist() for k, v in cases.items()},
    },
    open(out, "w"),
    indent=1,
)
print(f"wrote {len(cases)} cases to {out}")
