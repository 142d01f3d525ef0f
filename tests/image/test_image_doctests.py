"""The docstring examples of mx.recordio, mx.image and the vision transforms run."""

import doctest

import pytest

import neomx as mx
from neomx import recordio
from neomx.gluon.data.vision import transforms
from neomx.image import augmenters, image

MODULES = [recordio, image, augmenters, transforms]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, globs={"mx": mx}):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0
