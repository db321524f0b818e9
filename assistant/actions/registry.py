"""Every skill the engine can run, built once with the services they use."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action

from assistant.actions.core import (
    ActionClarify,
    ActionFeatureUnavailable,
    ActionGreeting,
    ActionHumanHandoff,
    ActionOutOfScope,
)
from assistant.services.container import Services

FEATURES = ("triage", "booking", "report", "payment", "faq")


def build_actions(services: Services, extra: list[Action] | None = None) -> dict[str, Action]:
    actions: list[Action] = [
        ActionGreeting(services),
        ActionHumanHandoff(services),
        ActionOutOfScope(services),
        ActionClarify(services),
    ]
    actions += [ActionFeatureUnavailable(services, f) for f in FEATURES]
    actions += list(extra or [])
    return {a.name(): a for a in actions}


def feature_actions(services: Services) -> tuple[list[Action], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The feature skills (triage, safety, FAQ, booking, reports, payment) and the forms they declare."""
    from assistant.actions import booking
    from assistant.actions.faq import ActionFaq
    from assistant.actions.payment import ActionPayment
    from assistant.actions.report import ActionReport
    from assistant.actions.safety import ActionSafety
    from assistant.actions.triage import ActionTriage

    out: list[Action] = [
        ActionTriage(services), ActionSafety(services), ActionFaq(services), ActionPayment(services), ActionReport(services),
    ]
    out += list(booking.booking_actions(services).values())
    forms: dict[str, Any] = dict(booking.FORMS)
    responses: dict[str, Any] = dict(booking.RESPONSES)
    slots: dict[str, Any] = dict(booking.SLOTS)
    return out, forms, responses, slots
