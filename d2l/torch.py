"""Builders' Guide helpers for PyTorch."""
import sys

import numpy as np
import torch
from torch import nn

from d2l._common import add_to_class  # noqa: F401

d2l = sys.modules[__name__]


#################   WARNING   ################
# The below part is generated automatically through:
#    d2lbook build lib
# Don't edit it directly

def cpu():
    """Return the CPU device.

    Defined in :numref:`sec_use_gpu`"""
    return torch.device('cpu')

def gpu(i=0):
    """Return the device of GPU i.

    Defined in :numref:`sec_use_gpu`"""
    return torch.device(f'cuda:{i}')

def num_gpus():
    """Return the number of GPUs that PyTorch can use.

    Defined in :numref:`sec_use_gpu`"""
    return torch.cuda.device_count()

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