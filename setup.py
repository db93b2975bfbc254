"""Installs the d2l package that the Builders' Guide imports."""
import re
from pathlib import Path

from setuptools import setup

version = re.search(r'__version__ = "([^"]+)"',
                    Path(__file__).with_name('d2l').joinpath(
                        '__init__.py').read_text()).group(1)

setup(
    name='d2l-builders-guide',
    version=version,
    description="Helpers for the Builders' Guide chapter, per framework",
    packages=['d2l'],
    python_requires='>=3.9',
    # Each module needs only its own framework, so none is required here
    install_requires=['numpy'],
)
