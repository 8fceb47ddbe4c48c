"""dyncore's DynamoDB API layer: request shapes (dyncore.api.shapes),
request validation (dyncore.api.validate: `validate(operation, params, mode)`),
the operations and the Service that runs them.

Submodules load on demand. `OPERATIONS`, `METHOD_TO_OPERATION` and
`OPERATION_TO_METHOD` are also reachable here; `dyncore.api.validate` is the
module (the function is `dyncore.api.validate.validate`).
"""

_LAZY = {
    "OPERATIONS": "dyncore.api.shapes",
    "METHOD_TO_OPERATION": "dyncore.api.validate",
    "OPERATION_TO_METHOD": "dyncore.api.validate",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dyncore.api' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
