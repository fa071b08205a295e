"""The test suite; its tree mirrors the package: gallery/, site/, bigsleep/, shared ground."""
