"""Helpers for the Builders' Guide, one module per framework.

Import the one that matches your framework, for example
``from d2l import torch as d2l``; each module imports only its own
framework.
"""
__version__ = "0.1.0"
