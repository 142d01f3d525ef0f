"""The Gluon-core HybridBlocks (see gluon_core_builders.py) made with neomx, for the tests."""

from __future__ import annotations

from gluon_core_builders import define_blocks

import neomx as mx

_blocks = define_blocks(mx)
Dense, Norm, Tower = _blocks.Dense, _blocks.Norm, _blocks.Tower
make_net, set_params = _blocks.make_net, _blocks.set_params
