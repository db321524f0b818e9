"""The built-in store satisfies the HIS interface the booking service depends on."""

from __future__ import annotations

import pytest

from assistant.clock import Clock
from integrations.his import HIS
from integrations.his.store import StoreHIS

pytestmark = pytest.mark.unit


def test_store_his_implements_the_interface(hospital):
    assert isinstance(StoreHIS(db=None, hospital=hospital, clock=Clock()), HIS)
