"""Helpers that need no framework, shared by every d2l module."""


def add_to_class(Class):
    """Register the decorated function as a method of Class."""
    def wrapper(obj):
        setattr(Class, obj.__name__, obj)
        return obj
    return wrapper
