"""dyncore: DynamoDB's data model and API on local disk, with a C LSM engine.

    import dyncore
    with dyncore.open("data/") as db:          # dyncore.temporary() for tests
        client = db.client()                    # boto3's low-level client
        table = db.Table("users")               # boto3's resource Table

The native extension loads on first use of anything that needs it, so that the
pure Python modules (errors, ...) import without a build.
"""
from dyncore.errors import *  # noqa: F401,F403
from dyncore.errors import __all__ as _errors_all

__version__ = "0.1.0"

_LAZY = {
    "Engine": "dyncore.engine", "Snapshot": "dyncore.engine", "Iterator": "dyncore.engine",
    "Tail": "dyncore.engine",
    "Database": "dyncore.database", "open": "dyncore.database",
    "temporary": "dyncore.database",
    "Binary": "dyncore.model",
}

__all__ = ["__version__", *_LAZY, *_errors_all]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is not None:
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dyncore' has no attribute {name!r}")
