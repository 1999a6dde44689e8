"""Every file of the corpus of odd and hostile files (tests/workflows/corpus/) gets a clear
answer: it deploys, or it is refused with a DefinitionError; one that deploys is started and
its user tasks completed, and fails, if it fails, with an engine room error. Zero escapes
(no file creates the marker), zero hangs (a file taking minutes kills the run with a dump of
where it hung), zero raw tracebacks or Python reprs in any message."""

from __future__ import annotations

import faulthandler
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.workflows.corpus.make import MARKER
from workflows import engine
from workflows.definitions import DefinitionError, deploy_files
from workflows.documents import kind_of_file
from workflows.errors import EngineError
from workflows.models import HumanTask

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).parent / "corpus"
# Data a started process finds: the names the corpus's files read.
START_DATA: dict[str, Any] = {
    "township": "130302001",
    "county": "130302",
    "items": [1, 2],
    "classification": "dibao",
    "wait": "PT1H",
    "a": 1,
    "b": 2,
}
HANG_SECONDS = 180


def _stem(name: str) -> str:
    return name.split(".", 1)[0]


def corpus_cases() -> Iterator[tuple[str, list[Path]]]:
    """(folder/name, the files deployed together): a BPMN file with the DMN files of its
    stem, a DMN file of no BPMN's stem alone, any other file alone."""
    for folder in sorted(p for p in CORPUS.iterdir() if p.is_dir() and p.name != "__pycache__"):
        files = sorted(p for p in folder.iterdir() if p.is_file())
        files = [
            p for p in files if p.suffix != ".py" and p.name not in ("README.md", "COPYING.LESSER")
        ]
        bpmn_stems = {_stem(p.name) for p in files if kind_of_file(p.name) == "bpmn"}
        for path in files:
            kind = kind_of_file(path.name)
            if kind == "dmn" and _stem(path.name) in bpmn_stems:
                continue
            group = [path]
            if kind == "bpmn":
                group += [
                    p
                    for p in files
                    if kind_of_file(p.name) == "dmn" and _stem(p.name) == _stem(path.name)
                ]
            yield f"{folder.name}/{path.name}", group


CASES = dict(corpus_cases())


def test_the_corpus_holds_at_least_sixty_files() -> None:
    assert sum(len(files) for files in CASES.values()) >= 60


def assert_readable(error: Exception) -> None:
    message = str(error)
    assert message
    for raw in ("Traceback", "<Element", 'File "'):
        assert raw not in message, message
    # An address, as a repr shows it (an element id such as Gateway_1v0x5mk is no repr).
    assert not re.search(r" at 0x[0-9a-fA-F]+", message), message


def run(process_id: str) -> None:
    """Start the process and complete whatever a person is asked, three rounds at most."""
    try:
        instance = engine.start_process(
            process_id, subject_type="corpus", subject_id=1, data=START_DATA
        )
    except EngineError as exc:
        assert_readable(exc)
        return
    for _round in range(3):
        rows = HumanTask.objects.filter(instance=instance, state=HumanTask.State.OPEN)
        if not rows:
            return
        for row in rows:
            try:
                engine.complete_task(row.task_id, actor=None, data={})
            except EngineError as exc:
                assert_readable(exc)


@pytest.fixture(autouse=True)
def no_hang_and_no_escape() -> Iterator[None]:
    Path(MARKER).unlink(missing_ok=True)
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert not Path(MARKER).exists(), "a file escaped the sandbox"


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_file_gets_a_clear_answer(db: None, case: str) -> None:
    try:
        results = deploy_files(CASES[case])
    except DefinitionError as exc:
        assert_readable(exc)
        assert not case.startswith("deploys/"), f"refused: {exc}"
        return
    assert not case.startswith("refused/"), "deployed a file the corpus says is refused"
    for process_id in sorted({r.definition.process_id for r in results}):
        run(process_id)
