"""What BPMN expressions and scripts may be: one compiler for every one of them.

SpiffWorkflow evaluates Python at many places (conditions, scripts, timers, multi-instance,
correlations, task properties, DMN cells), each through the script engine's environment
(workflows.runtime.RestrictedEnvironment). Every source goes through `restricted_code`,
at deploy (workflows.expressions, which reports a refusal with file, element and line) and
again at run time, so a file stored before this check, or slipped past it, is held by the
same rules. The compiler is RestrictedPython's policy (no names or attributes starting with
"_", none of the introspection attributes, attribute and item access, writes and iteration
routed through the guards of workflows.guards), made stricter below for what a BPMN file needs:
no imports, no classes, no generators, no try/except (a script that fails fails its step), and
loops, functions and the operators that can build huge values routed through the budget.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from types import CodeType
from typing import Any, Literal, cast

from django.utils.translation import gettext as _
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer

Mode = Literal["eval", "exec"]

# The builtins an expression may name (workflows.guards.SAFE_BUILTINS gives each its guarded
# form). What bpmn/ and the tests' files use, and the small helpers of a data-shaping script.
ALLOWED_BUILTINS = frozenset(
    "abs all any bool dict divmod enumerate float frozenset int isinstance len list "
    "max min range reversed round set sorted str sum tuple zip "
    "True False None Exception ValueError KeyError TypeError IndexError".split()
)
# Builtins refused by name at deploy, for a clear message (at run time no builtin outside
# ALLOWED_BUILTINS exists; other builtins' names, such as `type` or `id`, stay free for data).
REFUSED_BUILTINS = frozenset(
    "open eval exec compile getattr setattr delattr globals locals vars dir breakpoint help "
    "memoryview object super classmethod staticmethod property exit quit input".split()
)
# Names the runtime provides to the compiled code (RestrictedPython's hooks and ours).
GUARD_NAMES = frozenset(
    "_getattr_ _getitem_ _getiter_ _write_ _apply_ _inplacevar_ _iter_unpack_sequence_ "
    "_unpack_sequence_ _tick_ _binop_ _sized_".split()
)
# Attributes that reach the interpreter from an ordinary object, beyond RestrictedPython's
# INSPECT_ATTRIBUTES: str.format walks attributes of its arguments ("{0.__class__}"), and the
# code/frame/generator families are refused as a whole, not only their dangerous members.
FORBIDDEN_ATTRIBUTES = INSPECT_ATTRIBUTES | frozenset(
    "format format_map mro func_globals func_code func_closure gi_running gi_suspended "
    "f_lasti f_lineno f_trace_lines f_trace_opcodes tb_lasti tb_lineno".split()
)
_FORBIDDEN_PREFIXES = ("co_", "gi_", "cr_", "ag_", "f_", "tb_", "func_")

# The largest width or precision a format may ask for (an f-string's "{x:>1000000000}").
MAX_FORMAT_WIDTH = 10_000


@dataclass(frozen=True)
class Refusal:
    line: int
    construct: str


class UnsafeExpression(ValueError):
    """An expression or script uses something BPMN code may not use.

    `line` is the line within the source (1 for a one-line expression), `construct` what was
    refused, in words a file's author can act on."""

    def __init__(self, line: int, construct: str) -> None:
        self.line = line
        self.construct = construct
        super().__init__(construct)


def _forbidden_attribute(name: str) -> bool:
    return name in FORBIDDEN_ATTRIBUTES or name.startswith(_FORBIDDEN_PREFIXES)


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Mult: "*",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.Mod: "%",
}


class BpmnPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, stricter, with the budget's hooks put in (see module doc).

    The first refusal of a source is kept with its line (RestrictedPython's own messages are
    kept for the rules it alone knows)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refusals: list[Refusal] = []

    def error(self, node: ast.AST, info: str) -> None:
        super().error(node, info)
        self.refusals.append(Refusal(getattr(node, "lineno", 1) or 1, info))

    def refuse(self, node: ast.AST, construct: str) -> None:
        self.error(node, construct)

    # Names and attributes

    def visit_Name(self, node: ast.Name) -> Any:
        name = node.id
        if name in ("print", "printed"):
            self.refuse(node, _("“print” is not available: a script writes task data"))
            return node
        if name.startswith("_") and name != "_":
            self.refuse(
                node,
                _("the name “%(name)s” (names starting with “_” are not allowed)") % {"name": name},
            )
            return node
        if name in REFUSED_BUILTINS:
            self.refuse(
                node,
                _("the builtin “%(name)s” (not among the builtins BPMN code may use)")
                % {"name": name},
            )
            return node
        return super().visit_Name(node)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        if node.attr.startswith("_"):
            self.refuse(
                node,
                _("the attribute “%(name)s” (names starting with “_” are not allowed)")
                % {"name": node.attr},
            )
            return node
        if _forbidden_attribute(node.attr):
            self.refuse(
                node,
                _("the attribute “%(name)s” (it reaches the interpreter's internals)")
                % {"name": node.attr},
            )
            return node
        return super().visit_Attribute(node)

    # Statements BPMN code has no use for

    def _not_in_bpmn(self, node: ast.AST, what: str) -> None:
        self.refuse(node, _("%(construct)s is not allowed in BPMN code") % {"construct": what})

    def visit_Import(self, node: ast.Import) -> Any:
        self._not_in_bpmn(node, _("import"))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        self._not_in_bpmn(node, _("import"))

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        self._not_in_bpmn(node, _("a class definition"))

    def visit_Yield(self, node: ast.Yield) -> Any:
        self._not_in_bpmn(node, _("yield (a generator)"))

    def visit_YieldFrom(self, node: ast.YieldFrom) -> Any:
        self._not_in_bpmn(node, _("yield (a generator)"))

    def visit_Global(self, node: ast.Global) -> Any:
        self._not_in_bpmn(node, _("global"))

    def visit_Nonlocal(self, node: ast.Nonlocal) -> Any:
        self._not_in_bpmn(node, _("nonlocal"))

    def visit_Try(self, node: ast.Try) -> Any:
        # A handler could swallow the budget's stop; a failing script fails its step instead.
        self._not_in_bpmn(node, _("try/except"))

    def visit_TryStar(self, node: ast.AST) -> Any:
        self._not_in_bpmn(node, _("try/except"))

    def visit_With(self, node: ast.With) -> Any:
        self._not_in_bpmn(node, _("with"))

    def visit_Raise(self, node: ast.Raise) -> Any:
        self._not_in_bpmn(node, _("raise"))

    # Loops and functions: every turn costs one operation of the budget

    def visit_While(self, node: ast.While) -> Any:
        node = self.node_contents_visit(node)
        node.test = ast.copy_location(_call("_tick_", node.test), node.test)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        if node.decorator_list:
            self._not_in_bpmn(node, _("a decorator"))
            return node
        node = cast(ast.FunctionDef, super().visit_FunctionDef(node))
        tick = ast.Expr(_call("_tick_", ast.Constant(True)))
        node.body.insert(0, ast.copy_location(tick, node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        node = cast(ast.Lambda, super().visit_Lambda(node))
        # `_tick_(True) and body`: the tick runs before the body, on every call.
        node.body = ast.copy_location(
            ast.BoolOp(op=ast.And(), values=[_call("_tick_", ast.Constant(True)), node.body]),
            node.body,
        )
        return node

    # Operators that can build a huge value in one step

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        symbol = _BINOPS.get(type(node.op))
        if symbol is None:
            return node
        return ast.copy_location(
            _call("_binop_", ast.Constant(symbol), node.left, node.right), node
        )

    # Containers written in the code: their size is checked as they are built, so no tuple
    # or list can hold itself shared 2**60 times over (which hashing, comparing, printing or
    # saving would walk for ever, in C, where no budget can stop it).

    def _sized_display(self, node: ast.expr) -> Any:
        node = self.node_contents_visit(node)
        if isinstance(getattr(node, "ctx", ast.Load()), ast.Load):
            return ast.copy_location(_call("_sized_", node), node)
        return node

    def visit_List(self, node: ast.List) -> Any:
        return self._sized_display(node)

    def visit_Tuple(self, node: ast.Tuple) -> Any:
        return self._sized_display(node)

    def visit_Set(self, node: ast.Set) -> Any:
        return self._sized_display(node)

    def visit_Dict(self, node: ast.Dict) -> Any:
        return self._sized_display(node)

    def visit_Compare(self, node: ast.Compare) -> Any:
        # Comparing containers walks them: their size is checked first (workflows.guards).
        node = self.node_contents_visit(node)
        node.left = ast.copy_location(_call("_sized_", node.left), node.left)
        node.comparators = [ast.copy_location(_call("_sized_", c), c) for c in node.comparators]
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            if not all(isinstance(p, ast.Constant) for p in parts):
                self.refuse(node, _("a computed format specification in an f-string"))
                return node
            text = "".join(str(p.value) for p in parts if isinstance(p, ast.Constant))
            if any(int(n) > MAX_FORMAT_WIDTH for n in re.findall(r"\d+", text)):
                self.refuse(
                    node,
                    _("a format width over %(limit)s characters") % {"limit": MAX_FORMAT_WIDTH},
                )
                return node
        node = self.node_contents_visit(node)
        node.value = ast.copy_location(_call("_sized_", node.value), node.value)
        return node


def _describe_syntax_error(exc: SyntaxError) -> str:
    return _("a syntax error: %(message)s") % {"message": exc.msg}


@lru_cache(maxsize=4096)
def restricted_code(source: str, mode: Mode) -> CodeType:
    """`source` compiled under BpmnPolicy, once per process; raises UnsafeExpression.

    Named "<string>" as eval and exec name code, where SpiffWorkflow looks for the line of a
    failing script. `source` is taken as SpiffWorkflow passes it (a timer's or condition's
    text may carry the indentation of its XML; an expression is stripped as eval would not)."""
    # A script keeps its lines (errors name them) without the indentation of its XML.
    text = source.strip() if mode == "eval" else textwrap.dedent(source)
    try:
        tree = cast(ast.Expression | ast.Module, ast.parse(text, "<string>", mode))
    except SyntaxError as exc:
        raise UnsafeExpression(exc.lineno or 1, _describe_syntax_error(exc)) from None
    except (ValueError, RecursionError, MemoryError):  # NUL bytes; nesting the parser refuses
        raise UnsafeExpression(1, _("an expression the parser cannot read")) from None
    policy = BpmnPolicy()
    try:
        policy.visit(tree)
    except RecursionError:
        raise UnsafeExpression(1, _("an expression nested too deeply")) from None
    if policy.refusals:
        first = policy.refusals[0]
        raise UnsafeExpression(first.line, first.construct)
    if policy.errors:  # a rule of RestrictedPython's own with no refusal recorded
        raise UnsafeExpression(1, policy.errors[0])
    try:
        return compile(ast.fix_missing_locations(tree), "<string>", mode)
    except (SyntaxError, ValueError, RecursionError) as exc:
        raise UnsafeExpression(
            1, _("an expression the compiler refuses (%(error)s)") % {"error": exc}
        ) from None


def check_expression(source: str, *, mode: Mode = "eval") -> None:
    """Raise UnsafeExpression if `source` is not allowed in a BPMN file."""
    restricted_code(source, mode)
