"""The commands of `python -m generator`, one module per family; `generator/cli.py` assembles
their parser and runs them. Commands sit at the top: they may import every room."""
