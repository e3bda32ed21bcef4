"""`python -m reconkit.cli`."""

from reconkit.cli import main

main()
