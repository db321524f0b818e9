"""FHIR R4 (fhir.resources R4B) mapping of our slots, appointments and patients, validated both ways."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from assistant.clock import TZ
from assistant.services.booking.slots import SlotGenerator
from assistant.services.booking.types import Appointment, Patient, SlotRef
from integrations.his import fhir

pytestmark = pytest.mark.unit


def _appt(status: str = "confirmed") -> Appointment:
    return Appointment("apt-1", "pt-1", "DR002", "cardiology", date(2026, 11, 24), "AM", 5,
                       datetime(2026, 11, 24, 9, 0, tzinfo=TZ), Decimal("35"), status, "web", "o1", "self")


def test_slot_maps_to_a_valid_r4_slot_and_back(hospital):
    slot = SlotGenerator(hospital).slot(SlotRef("DR002", date(2026, 11, 24), "AM", 5))
    res = fhir.slot_to_fhir(slot, hospital)
    js = res.model_dump_json()
    assert res.status == "free" and '"start":"2026-11-24T09:00:00+08:00"' in js
    back = fhir.slot_from_fhir(js)
    assert back["ref"] == slot.ref and back["free"] is True


@pytest.mark.parametrize("ours,theirs", [("held", "pending"), ("confirmed", "booked"), ("cancelled", "cancelled"),
                                         ("attended", "fulfilled"), ("no_show", "noshow")])
def test_appointment_status_round_trip(hospital, ours, theirs):
    res = fhir.appointment_to_fhir(_appt(ours), hospital, patient_display="张*")
    assert res.status == theirs
    back = fhir.appointment_from_fhir(res.model_dump_json())
    assert back["status"] == ours and back["doctor_id"] == "DR002" and back["patient_id"] == "pt-1"
    assert back["slot"] == SlotRef("DR002", date(2026, 11, 24), "AM", 5)


def test_patient_maps_to_r4_patient():
    p = Patient("pt-1", "张三", "33010619800101123X", "13900001111", date(1980, 1, 1), "M")
    res = fhir.patient_to_fhir(p)
    assert res.gender == "male" and str(res.birthDate) == "1980-01-01" and res.identifier[0].value == p.id_number
    assert res.identifier[0].system == fhir.ID_SYSTEM


def test_a_passport_is_not_sent_as_an_id_card_number():
    p = Patient("pt-2", "John Smith", "E12345678", "13900001111", date(1980, 1, 1), "M", id_type="passport")
    ident = fhir.patient_to_fhir(p).identifier[0]
    assert ident.value == "E12345678" and ident.system != fhir.ID_SYSTEM and ident.type.coding[0].code == "PPN"
    assert "passport" in ident.system


@pytest.mark.parametrize("bad", [
    {"resourceType": "Appointment", "status": "booked", "start": "not a time", "participant": [{"status": "accepted"}]},
    {"resourceType": "Appointment", "status": "booked"},  # participant is required (1..*)
    {"resourceType": "Patient", "status": "booked"},
])
def test_invalid_fhir_from_a_his_is_refused(bad):
    with pytest.raises(ValidationError):
        fhir.appointment_from_fhir(bad)
