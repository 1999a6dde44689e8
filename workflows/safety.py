"""What BPMN expressions and scripts may do.

SpiffWorkflow evaluates conditions and runs scripts with plain `eval`/`exec`: a BPMN file is
code. Two fences: at deploy, an AST check refuses imports, dunder names, private attributes
and the builtins that reach outside the task data; at run time, scripts see only the
builtins listed in SAFE_BUILTINS.
"""

from __future__ import annotations

import ast
import builtins
from typing import Any

# Builtins a condition or a small data-shaping script needs, and nothing that reaches the
# interpreter, the file system or other objects' internals.
SAFE_BUILTIN_NAMES = (
    "abs all any bool dict divmod enumerate filter float frozenset int isinstance len list "
    "map max min range reversed round set sorted str sum tuple zip "
    "True False None "
    "Exception ValueError KeyError TypeError IndexError"
).split()
SAFE_BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in SAFE_BUILTIN_NAMES}

FORBIDDEN_NAMES = frozenset(
    "eval exec compile open input getattr setattr delattr globals locals vars dir "
    "breakpoint help memoryview type object super classmethod staticmethod property "
    "__import__ __builtins__ exit quit".split()
)


class UnsafeExpression(ValueError):
    """An expression or script uses something BPMN code may not use."""


def check_expression(source: str, *, mode: str = "eval") -> None:
    """Raise UnsafeExpression (or SyntaxError) if `source` is not allowed in a BPMN file.

    mode is "eval" for conditions and other expressions, "exec" for scripts.
    """
    tree = ast.parse(source.strip(), mode=mode)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise UnsafeExpression("不允许导入模块 (import is not allowed)")
        if isinstance(node, ast.Name):
            if node.id.startswith("__"):
                raise UnsafeExpression(
                    f"不允许使用双下划线名称 {node.id!r} (dunder names are not allowed)"
                )
            if node.id in FORBIDDEN_NAMES:
                raise UnsafeExpression(f"不允许使用 {node.id!r} ({node.id!r} is not allowed)")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise UnsafeExpression(
                f"不允许访问私有属性 {node.attr!r} (private attributes are not allowed)"
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "__" in node.value:
            # Strings such as "__class__" only serve to smuggle a dunder past the name check.
            raise UnsafeExpression("不允许在字符串中使用双下划线 (dunder strings are not allowed)")
        elif isinstance(node, ast.Global | ast.Nonlocal | ast.AsyncFunctionDef):
            raise UnsafeExpression("不允许使用该语法 (this construct is not allowed)")
