"""`python -m eggbin` is `eggbin`."""

from eggbin.cli import eggbin_main

if __name__ == "__main__":
    eggbin_main()
