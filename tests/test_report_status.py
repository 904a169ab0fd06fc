"""The status vocabularies: str Enums that behave as their values everywhere a
status travels (reports, JSON records, dict lookups), so that code holding a
plain string from a stored record and code holding a member agree."""

from __future__ import annotations

import json

import pytest

from autograder.report.model import CallStatus, CheckResult, Status


def test_a_status_is_its_value_in_text_json_and_lookups():
    assert Status.PASSED == "passed" and f"{Status.TIMEOUT:<9}|" == "timeout  |"
    assert str(Status.ERROR) == "error" and f"[{Status.SKIPPED}]" == "[skipped]"
    assert json.dumps({"status": Status.FAILED}) == '{"status": "failed"}'
    assert {Status.PASSED: "green"}.get("passed") == "green"
    assert {"failed": 1}[Status.FAILED] == 1


def test_a_result_from_a_stored_record_holds_a_member():
    stored = json.dumps(CheckResult("c", 0.0, 1.0, Status.TIMEOUT, "slow").to_dict())
    result = CheckResult(**json.loads(stored))
    assert result.status is Status.TIMEOUT
    with pytest.raises(ValueError):
        CheckResult("c", 0.0, 1.0, "fine")


@pytest.mark.parametrize("call,check", [(CallStatus.TIMEOUT, Status.TIMEOUT),
                                        (CallStatus.ERROR, Status.ERROR),
                                        (CallStatus.CRASHED, Status.ERROR)])
def test_a_call_that_did_not_return_gives_its_check_status(call, check):
    assert call.check_status is check
    assert CallStatus(call.value) is call  # what the worker's replies carry
