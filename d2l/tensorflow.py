"""Builders' Guide helpers for TensorFlow with Keras 3."""
import sys

import numpy as np
import tensorflow as tf

from d2l._common import add_to_class  # noqa: F401

d2l = sys.modules[__name__]


#################   WARNING   ################
# The below part is generated automatically through:
#    d2lbook build lib
# Don't edit it directly

def cpu():
    """Return the name of the CPU device.

    Defined in :numref:`sec_use_gpu`"""
    return '/CPU:0'

def gpu(i=0):
    """Return the name of GPU i.

    Defined in :numref:`sec_use_gpu`"""
    return f'/GPU:{i}'

def num_gpus():
    """Return the number of GPUs that TensorFlow can use.

    Defined in :numref:`sec_use_gpu`"""
    return len(tf.config.list_physical_devices('GPU'))

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