"""The run-time half of the sandbox: the hooks code compiled by workflows.safety calls.

Every evaluation of an expression or script gets a fresh Budget: each loop turn, function
call, iteration step and each element a builtin or method copies costs operations, and the
budget stops the code past MAX_OPERATIONS or MAX_SECONDS (checked at every operation, so no
tracing hook is needed). Operators and methods that could build a huge value in one step
(`9**9**9`, `'a' * 10**10`, `s.ljust(10**10)`) are refused before they run. Attribute and item
access are allowed on plain data only (what task data holds: str, numbers, lists, dicts ...),
so no object reachable from an expression leads to a frame, a function's globals or a module.
"""

from __future__ import annotations

import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from django.utils.translation import gettext as _
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from .safety import FORBIDDEN_ATTRIBUTES, MAX_FORMAT_WIDTH

MAX_OPERATIONS = 200_000
MAX_SECONDS = 1.0
# The largest string, list or other container one operation may build, and the largest int.
MAX_SIZE = 1_000_000
MAX_INT_BITS = 4096

_DATA_TYPES: tuple[type, ...] = (
    str,
    int,
    float,
    bool,
    type(None),
    list,
    tuple,
    dict,
    set,
    frozenset,
    range,
    type({}.keys()),
    type({}.values()),
    type({}.items()),
)
DATA_TYPES = frozenset(_DATA_TYPES)
_SCALARS = frozenset({str, int, float, bool, type(None)})
_WRITABLE = frozenset({list, dict, set})


class SandboxError(Exception):
    """An expression or script did what the sandbox refuses, or ran past its budget.

    The message is written for the file's author; `args[0]` is it (SpiffWorkflow quotes it)."""


class BudgetExceeded(SandboxError):
    pass


class Budget:
    """What one evaluation may still spend; charged by every hook below."""

    __slots__ = ("deadline", "left", "spent")

    def __init__(self, operations: int = MAX_OPERATIONS, seconds: float = MAX_SECONDS) -> None:
        self.left = operations
        self.deadline = time.monotonic() + seconds
        self.spent = False

    def charge(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0 or self.spent:
            self.spent = True
            raise BudgetExceeded(
                _("the expression or script ran past its budget of %(ops)s operations")
                % {"ops": f"{MAX_OPERATIONS:,}"}
            )
        if time.monotonic() > self.deadline:
            self.spent = True
            raise BudgetExceeded(
                _("the expression or script ran past its time limit of %(seconds)s seconds")
                % {"seconds": MAX_SECONDS}
            )


_current: ContextVar[Budget | None] = ContextVar("sandbox_budget", default=None)


def _budget() -> Budget:
    budget = _current.get()
    if budget is None:  # code compiled for the sandbox runs only inside `budgeted`
        raise SandboxError(_("BPMN code ran outside the sandbox"))
    return budget


class budgeted:
    """A fresh budget for the evaluation run inside the block (a class, not a generator-based
    context manager: this runs for every condition of every step)."""

    __slots__ = ("budget", "token")

    def __init__(self, operations: int = MAX_OPERATIONS, seconds: float = MAX_SECONDS) -> None:
        self.budget = Budget(operations, seconds)

    def __enter__(self) -> Budget:
        self.token = _current.set(self.budget)
        return self.budget

    def __exit__(self, *exc: object) -> None:
        _current.reset(self.token)


def tick(value: Any) -> Any:
    _budget().charge()
    return value


def _refuse(message: str) -> SandboxError:
    return SandboxError(message)


def _too_big(size: int) -> SandboxError:
    return _refuse(
        _("the expression would build a value of %(size)s elements (the limit is %(limit)s)")
        % {"size": f"{size:,}", "limit": f"{MAX_SIZE:,}"}
    )


def _too_big_int(bits: int) -> SandboxError:
    return _refuse(
        _("the expression would build a number of about %(bits)s bits (the limit is %(limit)s)")
        % {"bits": f"{bits:,}", "limit": MAX_INT_BITS}
    )


def _int(value: Any) -> bool:
    return isinstance(value, int)


def _sequence(value: Any) -> bool:
    return isinstance(value, str | bytes | list | tuple)


_CONTAINERS = frozenset({list, tuple, set, frozenset, dict})


def _children(item: Any) -> list[Any]:
    if type(item) is dict:
        return [*item.keys(), *item.values()]
    return list(item)


def _leaf_size(item: Any) -> int | None:
    kind = type(item)
    if kind is str:
        return len(item) // 64 + 1
    if kind in _CONTAINERS:
        return None
    return 1


def unfolded_size(value: Any, budget: Budget, limit: int = MAX_SIZE) -> int:
    """Elements of `value` counting every path to a shared part (what printing, comparing,
    hashing or JSON would walk), refused past `limit`; a container holding itself is refused.

    Computed once per distinct container (a part shared 2**60 times is measured once, its
    size multiplied), so the cost charged to the budget is that of the distinct parts."""
    leaf = _leaf_size(value)
    if leaf is not None:  # the usual result of a condition or a property
        return leaf
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        item, expanded = stack.pop()
        key = id(item)
        if expanded:
            on_path.discard(key)
            children = _children(item)
            budget.charge(len(children) // 16 + 1)
            total = 1
            for child in children:
                child_leaf = _leaf_size(child)
                total += child_leaf if child_leaf is not None else sizes[id(child)]
            if total > limit:
                raise _too_big(total)
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_path:  # a list that holds itself: printing or saving it never ends
            raise _too_big(limit + 1)
        on_path.add(key)
        stack.append((item, True))
        for child in _children(item):
            if _leaf_size(child) is None and id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(value)]


# RestrictedPython's hooks


def guarded_getattr(obj: Any, name: str) -> Any:
    _budget().charge()
    if not isinstance(name, str) or name.startswith("_") or name in FORBIDDEN_ATTRIBUTES:
        raise _refuse(_("the attribute “%(name)s” is not allowed") % {"name": name})
    if type(obj) not in DATA_TYPES:
        raise _refuse(
            _("attributes of a %(type)s are not allowed (only of plain data)")
            % {"type": type(obj).__name__}
        )
    value = getattr(obj, name)
    if callable(value):
        return _method(obj, name, value)
    return value


def guarded_getitem(obj: Any, key: Any) -> Any:
    _budget().charge()
    if type(obj) not in DATA_TYPES:
        raise _refuse(
            _("items of a %(type)s are not allowed (only of plain data)")
            % {"type": type(obj).__name__}
        )
    value = obj[key]
    if isinstance(key, slice) and hasattr(value, "__len__"):
        _budget().charge(len(value) // 16)
    return value


def guarded_write(obj: Any) -> Any:
    if type(obj) not in _WRITABLE:
        raise _refuse(_("a %(type)s cannot be changed by BPMN code") % {"type": type(obj).__name__})
    return obj


def guarded_getiter(obj: Any) -> Iterator[Any]:
    return _Counted(iter(obj), _budget())


def iter_unpack_sequence(it: Any, spec: Any, getiter: Any) -> Any:
    return guarded_iter_unpack_sequence(it, spec, getiter)


def unpack_sequence(it: Any, spec: Any, getiter: Any) -> Any:
    return guarded_unpack_sequence(it, spec, getiter)


def guarded_apply(func: Any, *args: Any, **kwargs: Any) -> Any:
    _budget().charge(len(args) + len(kwargs))
    return func(*args, **kwargs)


def inplacevar(op: str, left: Any, right: Any) -> Any:
    symbol = op[:-1]
    if symbol in _GUARDED_OPS:
        return binop(symbol, left, right)
    return _INPLACE[op](left, right)


# Ours


def binop(symbol: str, left: Any, right: Any) -> Any:
    """The operators that can build a huge value, checked before they run."""
    _budget().charge()
    if symbol == "**":
        if _int(left) and _int(right) and right > 0 and abs(left) > 1:
            bits = abs(left).bit_length() * right
            if bits > MAX_INT_BITS:
                raise _too_big_int(bits)
    elif symbol == "*":
        if _int(left) and _int(right):
            bits = abs(left).bit_length() + abs(right).bit_length()
            if bits > MAX_INT_BITS:
                raise _too_big_int(bits)
        elif (_sequence(left) and _int(right)) or (_sequence(right) and _int(left)):
            seq, times = (left, right) if _sequence(left) else (right, left)
            size = len(seq) * max(times, 0)
            if size > MAX_SIZE:
                raise _too_big(size)
            _budget().charge(size // 16)
    elif symbol == "<<":
        if _int(left) and _int(right) and left:
            bits = abs(left).bit_length() + right
            if bits > MAX_INT_BITS:
                raise _too_big_int(bits)
    elif symbol == "+":
        if _sequence(left) and _sequence(right):
            size = len(left) + len(right)
            if size > MAX_SIZE:
                raise _too_big(size)
            _budget().charge(size // 16)
    elif symbol == "%" and isinstance(left, str):
        _check_percent_format(left)
        sized(right)
    return _OPERATORS[symbol](left, right)


def sized(value: Any) -> Any:
    """`value`, its unfolded size checked first when it is a container."""
    if type(value) not in _SCALARS:
        unfolded_size(value, _budget())
    return value


def _method(obj: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    budget = _budget()
    check = _METHOD_CHECKS.get(name)

    def call(*args: Any, **kwargs: Any) -> Any:
        if check is not None:
            check(obj, args, kwargs)
        result = method(*args, **kwargs)
        if hasattr(result, "__len__"):
            budget.charge(len(result) // 16 + 1)
        else:
            budget.charge()
        return result

    return call


class _Counted:
    """An iterator whose every step costs one operation."""

    __slots__ = ("budget", "iterator")

    def __init__(self, iterator: Iterator[Any], budget: Budget) -> None:
        self.iterator = iterator
        self.budget = budget

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> Any:
        self.budget.charge()
        return next(self.iterator)


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "*": operator.mul,
    "**": operator.pow,
    "<<": operator.lshift,
    "%": operator.mod,
}
_GUARDED_OPS = frozenset(_OPERATORS)
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "-=": operator.isub,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "@=": operator.imatmul,
    ">>=": operator.irshift,
    "&=": operator.iand,
    "^=": operator.ixor,
    "|=": operator.ior,
}

_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent_format(template: str) -> None:
    for width, precision in _PERCENT_FIELD.findall(template):
        for number in (width, precision):
            if number == "*" or (number and int(number) > MAX_FORMAT_WIDTH):
                raise _refuse(
                    _("a format width over %(limit)s characters") % {"limit": MAX_FORMAT_WIDTH}
                )


def _width_check(position: int) -> Callable[[Any, tuple[Any, ...], dict[str, Any]], None]:
    def check(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if len(args) > position and _int(args[position]) and args[position] > MAX_SIZE:
            raise _too_big(args[position])

    return check


def _check_replace(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if len(args) >= 2 and isinstance(obj, str) and all(isinstance(a, str) for a in args[:2]):
        old, new = args[0], args[1]
        count = obj.count(old) if old else len(obj) + 1
        size = len(obj) + count * (len(new) - len(old))
        if size > MAX_SIZE:
            raise _too_big(size)


def _check_join(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if args and isinstance(obj, str) and isinstance(args[0], list | tuple):
        items: Iterable[Any] = args[0]
        size = sum(len(i) if isinstance(i, str) else 0 for i in items)
        size += len(obj) * max(len(args[0]) - 1, 0)
        if size > MAX_SIZE:
            raise _too_big(size)


def _check_extend(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if args and hasattr(obj, "__len__") and hasattr(args[0], "__len__"):
        size = len(obj) + len(args[0])
        if size > MAX_SIZE:
            raise _too_big(size)


_METHOD_CHECKS: dict[str, Callable[[Any, tuple[Any, ...], dict[str, Any]], None]] = {
    "ljust": _width_check(0),
    "rjust": _width_check(0),
    "center": _width_check(0),
    "zfill": _width_check(0),
    "to_bytes": _width_check(0),  # (1).to_bytes(10**10): a length in bytes
    "expandtabs": lambda obj, args, kwargs: _too_big_check_tabs(obj, args),
    "replace": _check_replace,
    "join": _check_join,
    "extend": _check_extend,
    "update": _check_extend,
}


def _too_big_check_tabs(obj: Any, args: tuple[Any, ...]) -> None:
    if args and _int(args[0]) and isinstance(obj, str):
        size = len(obj) + obj.count("\t") * max(args[0], 0)
        if size > MAX_SIZE:
            raise _too_big(size)
