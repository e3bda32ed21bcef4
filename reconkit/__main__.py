"""`python -m reconkit ...`: the same command line as the `reconkit` script."""

from reconkit.cli import main

if __name__ == "__main__":
    main()
