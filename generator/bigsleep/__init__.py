"""BigSleep: BigGAN-deep latents optimised until CLIP agrees with the prompt (big-sleep 0.9.1).

Modules: `biggan` (per-layer conditioned forward), `latents`, `cutouts`, `losses`, `optimiser`
(batched, per-image seeded, resumable), `models` + `weights` (local weights, `make weights`),
`weight_files` (their paths and hashes, without torch: planning imports no torch, clip or
BigGAN), `clip_package` (clip, imported quietly).

Driving it from the manifest: `generate` (the pipeline's ImageGenerator) asks `planning` what each
image needs against `lockfile` (gallery.lock), picks a `device`, runs `batches` (progress bar,
`resume` checkpoints) and writes results with `outputs` into the post's `bundle`, with progress
files from `progress`. With `--cluster`, `cluster` runs the batches on Ray workers
(`cluster_worker`), whose checkpoints and results the driver keeps (`cluster_store`).
"""
