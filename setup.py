"""Package discovery that pyproject.toml alone cannot express: okc.cli lives in the top-level cli/ folder."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages("src"),
        "okc.cli",
        *(f"okc.cli.{name}" for name in find_packages("cli")),
    ],
)
