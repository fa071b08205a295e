"""OpenAI's `clip` package, imported without the warning it triggers (it imports the deprecated
pkg_resources at import time). Modules that use clip import it from here."""

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import clip
    from clip.clip import _MODELS
    from clip.model import CLIP

__all__ = ["CLIP", "_MODELS", "clip"]
