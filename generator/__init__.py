"""gallery.yaml -> BigSleep images -> Hugo-style Markdown page bundles -> a static site."""

__version__ = "0.1.0"
