"""dyncore: DynamoDB's data model and API on local disk, with a C LSM engine.

The engine classes load the native extension on first use, so that the pure
Python modules (errors, ...) import without a build.
"""
from dyncore.errors import *  # noqa: F401,F403
from dyncore.errors import __all__ as _errors_all

__version__ = "0.1.0"

_ENGINE_NAMES = ("Engine", "Snapshot", "Iterator", "Tail")

__all__ = ["__version__", *_ENGINE_NAMES, *_errors_all]


def __getattr__(name):
    if name in _ENGINE_NAMES:
        from dyncore import engine

        value = getattr(engine, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dyncore' has no attribute {name!r}")
