"""Builders' Guide helpers for MXNet (Gluon with the NumPy interface)."""
import sys

import mxnet as mx
from mxnet import autograd, gluon, init, np, npx
from mxnet.gluon import nn

npx.set_np()

from d2l._common import add_to_class  # noqa: F401

d2l = sys.modules[__name__]


#################   WARNING   ################
# The below part is generated automatically through:
#    d2lbook build lib
# Don't edit it directly

def cpu():
    """Return the CPU context.

    Defined in :numref:`sec_use_gpu`"""
    return npx.cpu()

def gpu(i=0):
    """Return the context of GPU i.

    Defined in :numref:`sec_use_gpu`"""
    return npx.gpu(i)

def num_gpus():
    """Return the number of GPUs that MXNet can use.

    Defined in :numref:`sec_use_gpu`"""
    return npx.num_gpus()

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