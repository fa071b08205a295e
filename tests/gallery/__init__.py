"""Tests of generator.gallery: gallery.yaml -> checked model -> content/."""
