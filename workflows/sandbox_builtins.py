"""The builtins BPMN code may use, and the globals compiled code runs with.

Each builtin that walks or builds a container charges the evaluation's budget for its
elements (workflows.guards); `str`, `list` ... stand for their types in isinstance.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from .guards import (
    MAX_SIZE,
    _budget,
    _Counted,
    _refuse,
    _too_big,
    binop,
    guarded_apply,
    guarded_getattr,
    guarded_getitem,
    guarded_getiter,
    guarded_write,
    inplacevar,
    iter_unpack_sequence,
    sized,
    tick,
    unpack_sequence,
)
from .safety import ALLOWED_BUILTINS

# Builtins, each charging the budget for the elements it walks or builds.


def _charge_iterable(value: Any) -> Any:
    """`value` to hand a builtin that walks it: a container charged by its size, anything
    else (a generator, a zip ...) wrapped so that each step costs."""
    if hasattr(value, "__len__"):
        if len(value) > MAX_SIZE:
            raise _too_big(len(value))
        _budget().charge(len(value) // 16 + 1)
        return value
    return _Counted(iter(value), _budget())


def _consuming(function: Callable[..., Any]) -> Callable[..., Any]:
    """A builtin that walks its one iterable argument (max(a, b) walks nothing)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if len(args) == 1:
            args = (_charge_iterable(args[0]),)
        return function(*args, **kwargs)

    call.__name__ = function.__name__
    return call


def _comparing(function: Callable[..., Any]) -> Callable[..., Any]:
    """A builtin that compares or hashes the elements of its one iterable argument: they
    are taken into a list and their unfolded size checked first (workflows.guards.sized)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if len(args) == 1:
            args = (sized(list(_charge_iterable(args[0]))),)
        return function(*args, **kwargs)

    call.__name__ = function.__name__
    return call


def safe_enumerate(iterable: Any, start: int = 0) -> enumerate[Any]:
    return enumerate(_charge_iterable(iterable), start)


def safe_zip(*iterables: Any) -> zip[Any]:
    return zip(*(_charge_iterable(i) for i in iterables), strict=False)


def safe_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_SIZE:
        raise _too_big(len(result))
    return result


def safe_sum(values: Any, start: Any = 0) -> Any:
    """sum of numbers only: summing lists or strings is quadratic (use a comprehension)."""
    total = start
    if not isinstance(total, int | float):
        raise _refuse(_("sum() adds numbers only"))
    for value in _charge_iterable(values):
        if not isinstance(value, int | float):
            raise _refuse(_("sum() adds numbers only"))
        total = binop("+", total, value) if isinstance(value, int) else total + value
    return total


def safe_str(value: Any = "") -> str:
    return str(sized(value))


def safe_dict(*args: Any, **kwargs: Any) -> dict[Any, Any]:
    if args:
        pairs = args[0]
        args = (sized(pairs if isinstance(pairs, dict) else list(_charge_iterable(pairs))),)
    return dict(*args, **kwargs)


def safe_isinstance(value: Any, kinds: Any) -> bool:
    """isinstance, where `str`, `list` ... name the guarded builtins standing for the types."""
    if isinstance(kinds, tuple):
        return any(safe_isinstance(value, kind) for kind in kinds)
    return isinstance(value, _TYPE_OF.get(kinds, kinds))


_CONSUMING = "all any list".split()
_COMPARING = "tuple set frozenset sorted min max".split()
_PLAIN = (
    "abs bool divmod float int len reversed round True False None "
    "Exception ValueError KeyError TypeError IndexError"
).split()

SAFE_BUILTINS: dict[str, Any] = {
    **{name: _consuming(getattr(builtins, name)) for name in _CONSUMING},
    **{name: _comparing(getattr(builtins, name)) for name in _COMPARING},
    "enumerate": safe_enumerate,
    "zip": safe_zip,
    **{name: getattr(builtins, name) for name in _PLAIN},
    "range": safe_range,
    "sum": safe_sum,
    "str": safe_str,
    "dict": safe_dict,
    "isinstance": safe_isinstance,
}
_TYPE_OF: dict[Any, type] = {
    SAFE_BUILTINS[name]: getattr(builtins, name)
    for name in ("list", "tuple", "set", "frozenset", "str", "dict")
}
assert set(SAFE_BUILTINS) == ALLOWED_BUILTINS, set(SAFE_BUILTINS) ^ ALLOWED_BUILTINS

# What compiled BPMN code finds as its globals, besides the task data.
SANDBOX_GLOBALS: dict[str, Any] = {
    "__builtins__": SAFE_BUILTINS,
    "_getattr_": guarded_getattr,
    "_getitem_": guarded_getitem,
    "_getiter_": guarded_getiter,
    "_write_": guarded_write,
    "_apply_": guarded_apply,
    "_inplacevar_": inplacevar,
    "_iter_unpack_sequence_": iter_unpack_sequence,
    "_unpack_sequence_": unpack_sequence,
    "_tick_": tick,
    "_binop_": binop,
    "_sized_": sized,
}
