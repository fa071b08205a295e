"""BigSleep: BigGAN-deep latents optimised until CLIP agrees with the prompt (big-sleep 0.9.1).

Modules: `biggan` (per-layer conditioned forward), `latents`, `cutouts`, `losses`, `optimiser`
(batched, per-image seeded, resumable), `models` + `weights` (local checkpoints, `make weights`);
`generate`, `lockfile` and `frames` drive it from the manifest.
"""

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # clip imports the deprecated pkg_resources at import time
    import clip  # noqa: F401
