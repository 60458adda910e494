"""`python -m okc` runs the command line, for machines where the console script is not on PATH."""

from okc.cli.main import main

main()
