"""Builders' Guide helpers for JAX and Flax (linen API)."""
import sys

import flax
import jax
import numpy as np
from flax import linen as nn
from jax import numpy as jnp

from d2l._common import add_to_class  # noqa: F401

d2l = sys.modules[__name__]

# Every kernel starts from the same seed, so every build draws the same keys
_SEED = 0
_key = None


def get_seed():
    """Return the integer seed that the key sequence of get_key starts from."""
    return _SEED


def get_key():
    """Return a fresh PRNG key; successive calls never repeat a key."""
    global _key
    if _key is None:
        _key = jax.random.PRNGKey(_SEED)
    _key, subkey = jax.random.split(_key)
    return subkey


#################   WARNING   ################
# The below part is generated automatically through:
#    d2lbook build lib
# Don't edit it directly

def cpu():
    """Return the first CPU device.

    Defined in :numref:`sec_use_gpu`"""
    return jax.devices('cpu')[0]

def gpu(i=0):
    """Return GPU i; raises if JAX has no such GPU.

    Defined in :numref:`sec_use_gpu`"""
    return jax.devices('gpu')[i]

def num_gpus():
    """Return the number of GPUs that JAX can use.

    Defined in :numref:`sec_use_gpu`"""
    try:
        return len(jax.devices('gpu'))
    except RuntimeError:  # JAX found no GPU platform at all
        return 0

def try_gpu(i=0):
    """Return GPU i if it exists, otherwise the CPU.

    Defined in :numref:`sec_use_gpu`"""
    if num_gpus() >= i + 1:
        return gpu(i)
    return cpu()

def try_all_gpus():
    """Return all GPUs, or [cpu()] if there is none.

    Defined in :numref:`sec_use_gpu`"""
    gpus = [gpu(i) for i in range(num_gpus())]
    return gpus if gpus else [cpu()]