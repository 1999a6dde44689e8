"""Write the generated part of the corpus of odd and hostile files (tests/workflows/corpus/).

    .venv/bin/python -m tests.workflows.corpus.make

refused/ holds files a deploy must refuse, deploys/ files that must deploy (and then run or
fail with a clear error); spiffworkflow/ (copied, LGPL) may do either. A BPMN file is deployed
with the DMN files named after it (`<stem>.<anything>.dmn`); a DMN file with no BPMN of its
stem is deployed alone. Every escape tries to create MARKER.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.workflows import hostile

HERE = Path(__file__).parent
MARKER = "/tmp/onedoor-corpus-escaped"

FRAME_WALK = "[x.gi_frame.f_back.f_back.f_builtins for x in [(y for y in [1])]][0]"
ESCAPES = {
    "os_system": f'{FRAME_WALK}["__import__"]("os").system("touch {MARKER}")',
    "open": f'{FRAME_WALK}["open"]("{MARKER}", "w")',
}
SITES: dict[str, Callable[[str], tuple[str, dict[str, str]]]] = {
    "script": lambda e: (hostile.script(e), {}),
    "pre_script": lambda e: (hostile.pre_script(e), {}),
    "post_script": lambda e: (hostile.pre_script(e, "postScript"), {}),
    "gateway_condition": lambda e: (hostile.gateway_condition(e), {}),
    "conditional_event": lambda e: (hostile.conditional_event(e), {}),
    "correlation": lambda e: (hostile.correlation(e), {}),
    "timer": lambda e: (hostile.timer("timeDate", e), {}),
    "loop_cardinality": lambda e: (hostile.multi_instance(cardinality=e), {}),
    "completion_condition": lambda e: (hostile.multi_instance(cardinality="2", completion=e), {}),
    "task_property": lambda e: (hostile.user_task_property(e), {}),
    "dmn_output_entry": lambda e: (hostile.business_rule(), {"d": hostile.dmn(output_entry=e)}),
    "dmn_input_entry": lambda e: (hostile.business_rule(), {"d": hostile.dmn(input_entry=e)}),
    "dmn_input_expression": lambda e: (
        hostile.business_rule(),
        {"d": hostile.dmn(input_expression=e)},
    ),
}
OTHER_ESCAPES = {
    "subclasses": "x = ().__class__.__bases__[0].__subclasses__()",
    "format_string": 'x = "{0.__class__}".format(1)',
    "getattr": 'x = getattr(1, "real")',
    "dunder_import": f'__import__("os").system("touch {MARKER}")',
    "import": f'import os\nos.system("touch {MARKER}")',
    "globals": "x = globals()",
    "type_object": "x = type(1).mro()",
    "f_string_attr": 'x = f"{township.__class__}"',
    "exec": f'exec("open(\\"{MARKER}\\", \\"w\\")")',
    "class_def": "class A:\n    pass",
    "try_swallow": "try:\n    x = 1\nexcept Exception:\n    pass",
    "generator_func": "def g():\n    yield 1\nx = g()",
    "print": "print(1)",
}
RUNAWAYS = {
    "while_true": "while True:\n    pass",
    "counting_forever": "n = 0\nwhile n >= 0:\n    n = n + 1",
    "huge_power": "x = 9 ** 9 ** 9",
    "huge_shift": "x = 1 << 10 ** 10",
    "huge_repeat": "x = 'a' * 10 ** 10",
    "doubling_list": "x = [1]\nfor i in range(100):\n    x = x + x",
    "shared_tree": "x = [1]\nfor i in range(100):\n    x = [x, x]",
    "exponential_lambda": "f = lambda f, n: n and f(f, n - 1) + f(f, n - 1)\nx = f(f, 60)",
    "deep_recursion": "def f(n):\n    return f(n + 1)\nx = f(0)",
    "ljust": "x = 'x'.ljust(10 ** 10)",
    "percent_width": "x = '%0999999999d' % 1",
    "join_bomb": "s = 'a' * 100000\nx = s.join([s] * 1000)",
    "replace_bomb": "s = 'a' * 100000\nx = s.replace('a', s)",
    "sum_of_lists": "x = sum([[1] * 1000] * 1000, [])",
    "hash_of_shared_tuple_tree": "t = (1,)\nfor i in range(80):\n    t = (t, t)\ns = {t}",
    "list_holding_itself": "x = []\nx.append(x)",
    "big_range": "x = list(range(10 ** 12))",
    "name_error": "x = no_such_variable + 1",
    "type_error": "x = 1 + 'a'",
    "zero_division": "x = 1 / 0",
}
TIMERS = {
    "duration_999999999_years": ("timeDuration", '"P999999999Y"'),
    "cycle_zero_period": ("timeCycle", '"R/PT0S"'),
    "cycle_billion_times": ("timeCycle", '"R999999999/PT1H"'),
    "date_year_9999": ("timeDate", '"9999-12-31T23:59:59"'),
    "date_year_1": ("timeDate", '"0001-01-01T00:00:00"'),
    "duration_not_iso": ("timeDuration", '"three days"'),
}


def _write(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def _case(folder: Path, stem: str, bpmn: str, dmn: dict[str, str]) -> None:
    _write(folder / f"{stem}.bpmn", bpmn)
    for name, text in dmn.items():
        _write(folder / f"{stem}.{name}.dmn", text)


def _refused(out: Path) -> None:
    folder = out / "refused"
    for site, build in SITES.items():
        for name, escape in ESCAPES.items():
            _case(folder, f"escape-{name}-via-{site}", *build(escape))
    for name, source in OTHER_ESCAPES.items():
        _case(folder, f"escape-{name}", hostile.script(source), {})
    for name, (kind, value) in TIMERS.items():
        _case(folder, f"timer-{name}", hostile.timer(kind, value), {})
    _case(folder, "call-activity-calls-itself", hostile.call_activity(["hostile"]), {})
    _case(folder, "call-activity-cycle", hostile.call_activity(["hostile", "helper", "third"]), {})
    base = hostile.script("x = 1")
    _case(folder, "name-process-id-201", base.replace('id="hostile"', f'id="{"p" * 201}"'), {})
    _case(
        folder, "name-element-201", base.replace('id="step"', f'id="step" name="{"名" * 201}"'), {}
    )
    _case(folder, "name-element-id-201", base.replace('"step"', f'"{"s" * 201}"'), {})
    _write(folder / "malformed.bpmn", "<bpmn:definitions>\n  <oops>\n")
    _write(folder / "empty.bpmn", "")
    _write(folder / "binary.bpmn", "\x00\x01\x02 not xml \x00")
    _write(folder / "not-bpmn-root.bpmn", '<?xml version="1.0"?>\n<html><body/></html>\n')
    _write(
        folder / "no-executable-process.bpmn",
        base.replace('isExecutable="true"', 'isExecutable="false"'),
    )
    _write(
        folder / "schema-unknown-element.bpmn",
        base.replace('<bpmn:scriptTask id="step">', '<bpmn:scriptTask id="step"><bpmn:nonsense />'),
    )
    _write(folder / "dangling-target.bpmn", base.replace('targetRef="end"', 'targetRef="nowhere"'))
    _write(folder / "dangling-source.bpmn", base.replace('sourceRef="step"', 'sourceRef="nowhere"'))
    _write(folder / "syntax-error.bpmn", hostile.script("x = = 1"))
    _write(folder / "unknown-service.bpmn", _service("nobody.handles.this"))
    doctype = '<?xml version="1.0" encoding="UTF-8"?>\n'
    xxe = doctype + '<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    _write(
        folder / "xxe-external-entity.bpmn",
        base.replace(doctype, xxe).replace("x = 1", "x = '&secret;'"),
    )
    laughs = doctype + (
        '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n'
    )
    _write(
        folder / "billion-laughs.bpmn", base.replace(doctype, laughs).replace("x = 1", "x = '&c;'")
    )
    _write(folder / "deep-chain-2000.bpmn", _chain(2000))
    _write(folder / "wrong-suffix.xml", base)
    _write(folder / "lone-decision.dmn", hostile.dmn())
    rule = hostile.business_rule()
    _case(
        folder, "dmn-unknown-namespace", rule, {"d": hostile.dmn(namespace="http://example.org/x")}
    )
    _case(folder, "dmn-xxe", rule, {"d": hostile.dmn().replace(doctype, xxe)})
    _case(folder, "dmn-output-syntax-error", rule, {"d": hostile.dmn(output_entry="1 +")})
    extra_output = hostile.dmn().replace(
        "</rule>", '<outputEntry id="rule1_out2"><text>"x"</text></outputEntry></rule>'
    )
    _case(folder, "dmn-more-entries-than-outputs", rule, {"d": extra_output})
    _case(
        folder,
        "dmn-no-table",
        rule,
        {"d": hostile.dmn().split("    <decisionTable")[0] + "  </decision>\n</definitions>\n"},
    )


def _deploys(out: Path) -> None:
    folder = out / "deploys"
    for name, source in RUNAWAYS.items():
        _case(folder, f"runaway-{name}", hostile.script(source), {})
    _case(
        folder, "runaway-huge-power-in-condition", hostile.gateway_condition("9 ** 9 ** 9 > 0"), {}
    )
    _case(folder, "bpmn-cycle-that-never-waits", hostile.loop("count < 10 ** 9"), {})
    _case(folder, "computed-timer-from-data", hostile.timer("timeDuration", "wait"), {})
    _case(
        folder, "generator-attribute-at-run-time", hostile.script("x = (y for y in [1]).send"), {}
    )
    for encoding in ("UTF-16", "UTF-16BE", "ISO-8859-1", "GB18030"):
        label = "Bénéfice" if encoding == "ISO-8859-1" else "临时救助"
        text = hostile.script(f'label = "{label}"').replace(
            'encoding="UTF-8"', f'encoding="{encoding}"'
        )
        _write(folder / f"encoding-{encoding.lower()}.bpmn", text, encoding)
    (folder / "encoding-utf-8-bom.bpmn").write_bytes(
        b"\xef\xbb\xbf" + hostile.script("x = 1").encode()
    )
    _write(folder / "suffix-UPPER.BPMN", hostile.script("x = 1", process_id="upper_suffix"))
    _write(
        folder / "suffix-modeler.bpmn20.xml", hostile.script("x = 1", process_id="modeler_suffix")
    )
    commented = hostile.script("x = 1\ny = x + 1").replace(
        "<bpmn:script>x = 1\ny", "<bpmn:script><!-- first -->x = 1<!-- why -->\ny"
    )
    _write(folder / "comment-inside-script.bpmn", commented)
    _write(folder / "deep-chain-300.bpmn", _chain(300))
    rule = hostile.business_rule()
    for version, namespace in {
        "1.1": "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
        "1.2": "http://www.omg.org/spec/DMN/20180521/MODEL/",
        "1.3": "https://www.omg.org/spec/DMN/20191111/MODEL/",
        "1.3-http": "http://www.omg.org/spec/DMN/20191111/MODEL/",
    }.items():
        _case(folder, f"dmn-{version}", rule, {"d": hostile.dmn(namespace=namespace)})
    _case(folder, "dmn-range-entry", rule, {"d": hostile.dmn(input_entry='> "a"')})
    _case(
        folder,
        "dmn-question-mark-entry",
        rule,
        {"d": hostile.dmn(input_entry='? in ("dibao", "tekun")')},
    )
    _write(folder / "service-task.bpmn", _service("test.record"))


def _service(operator: str) -> str:
    return hostile.process(
        '    <bpmn:serviceTask id="step"><bpmn:extensionElements>'
        f'<spiffworkflow:serviceTaskOperator id="{operator}" resultVariable="result">'
        "<spiffworkflow:parameters>"
        '<spiffworkflow:parameter id="explode" type="bool" value="False" />'
        "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>"
        "</bpmn:extensionElements>"
        "<bpmn:incoming>in_flow</bpmn:incoming><bpmn:outgoing>out_flow</bpmn:outgoing>"
        "</bpmn:serviceTask>"
    )


def _chain(length: int) -> str:
    tasks = "".join(
        f'<bpmn:scriptTask id="t{i}"><bpmn:incoming>f{i}</bpmn:incoming>'
        f"<bpmn:outgoing>f{i + 1}</bpmn:outgoing><bpmn:script>n = {i}</bpmn:script>"
        f'</bpmn:scriptTask>\n<bpmn:sequenceFlow id="f{i + 1}" sourceRef="t{i}" '
        f'targetRef="{f"t{i + 1}" if i + 1 < length else "end"}" />\n'
        for i in range(length)
    )
    return (
        hostile.HEAD + f'<bpmn:process id="chain_{length}" isExecutable="true">\n'
        '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="t0" />\n'
        + tasks
        + f'<bpmn:endEvent id="end"><bpmn:incoming>f{length}</bpmn:incoming></bpmn:endEvent>\n'
        "</bpmn:process>\n" + hostile.TAIL
    )


def make(out: Path = HERE) -> None:
    for folder in ("refused", "deploys"):
        for old in (out / folder).glob("*") if (out / folder).exists() else []:
            old.unlink()
    _refused(out)
    _deploys(out)


if __name__ == "__main__":
    make()
