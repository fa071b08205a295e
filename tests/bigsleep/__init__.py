"""Tests of generator.bigsleep on tiny CLIP and BigGAN checkpoints in the real formats."""
