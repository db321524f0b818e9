"""FHIR R4 mapping of slots, appointments and patients, validated with ``fhir.resources``.

``fhir.resources`` 8.x models R5 at its top level; R4 lives on as its R4B subpackage
(``fhir.resources.R4B``), whose Slot, Appointment and Patient are the R4 resources unchanged (R4B
only revised medication-definition and evidence resources). Everything here is built with the R4B
classes, so the JSON a hospital's R4 HIS sends or accepts is validated on the way in and out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.slot import Slot as FhirSlot

from assistant.hospital import HospitalData
from assistant.services.booking.types import Appointment, Patient, Slot, SlotRef

FHIR_VERSION = "4.0.1 (R4, via fhir.resources.R4B)"
#: Identifier systems; a hospital replaces them with the URIs its HIS uses.
ID_SYSTEM = "urn:oid:2.16.156.10011.1.1"  # 居民身份证号 (resident identity card number)
#: Other documents accepted for real-name registration, with the FHIR identifier type code (v2-0203).
DOCUMENT_SYSTEMS = {
    "resident_id": (ID_SYSTEM, "NNCHN"),
    "passport": ("urn:patient-assistant:passport", "PPN"),
    "hk_macau_permit": ("urn:patient-assistant:hk-macau-travel-permit", "PPN"),
    "taiwan_permit": ("urn:patient-assistant:taiwan-travel-permit", "PPN"),
}
APPOINTMENT_SYSTEM = "urn:patient-assistant:appointment"
DEPT_SYSTEM = "urn:patient-assistant:department"

# held → pending (the HIS hold), confirmed → booked; terminal states map one-to-one.
STATUS_TO_FHIR = {
    "held": "pending",
    "confirmed": "booked",
    "cancelled": "cancelled",
    "expired": "cancelled",
    "attended": "fulfilled",
    "no_show": "noshow",
}
STATUS_FROM_FHIR = {"pending": "held", "proposed": "held", "booked": "confirmed", "arrived": "confirmed", "checked-in": "confirmed",
                    "cancelled": "cancelled", "fulfilled": "attended", "noshow": "no_show", "entered-in-error": "cancelled", "waitlist": "held"}


def slot_id(ref: SlotRef) -> str:
    return ref.key.replace(":", "-")


def slot_ref_from_id(fhir_id: str) -> SlotRef:
    doctor, y, m, d, session, index = fhir_id.split("-")
    return SlotRef.parse(f"{doctor}:{y}-{m}-{d}:{session}:{index}")


def _dept_concept(hospital: HospitalData, dept_id: str) -> dict[str, Any]:
    dept = hospital.departments.get(dept_id)
    return {"coding": [{"system": DEPT_SYSTEM, "code": dept_id, "display": dept.name_en if dept else dept_id}],
            "text": dept.name_zh if dept else dept_id}


def slot_to_fhir(slot: Slot, hospital: HospitalData) -> FhirSlot:
    return FhirSlot(
        id=slot_id(slot.ref),
        schedule={"reference": f"Schedule/{slot.doctor_id}-{slot.ref.date.isoweekday()}-{slot.ref.session}"},
        status="free" if slot.free else "busy",
        start=slot.start.isoformat(),
        end=slot.end.isoformat(),
        serviceType=[_dept_concept(hospital, slot.dept_id)],
        comment=f"pool={slot.pool}; fee_cny={slot.fee}",
    )


def appointment_to_fhir(appt: Appointment, hospital: HospitalData, end: datetime | None = None, patient_display: str | None = None) -> FhirAppointment:
    doctor = hospital.doctors.get(appt.doctor_id)
    data: dict[str, Any] = {
        "id": appt.appointment_id,
        "identifier": [{"system": APPOINTMENT_SYSTEM, "value": appt.appointment_id}],
        "status": STATUS_TO_FHIR[appt.status],
        "serviceType": [_dept_concept(hospital, appt.dept_id)],
        "start": appt.start.isoformat(),
        "slot": [{"reference": f"Slot/{slot_id(appt.slot_ref)}"}],
        "participant": [
            {"actor": {"reference": f"Patient/{appt.patient_id}", **({"display": patient_display} if patient_display else {})},
             "required": "required", "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{appt.doctor_id}", "display": doctor.name if doctor else appt.doctor_id},
             "required": "required", "status": "accepted"},
        ],
        "comment": f"fee_cny={appt.fee}; channel={appt.channel}; relationship={appt.relationship}",
    }
    if end is not None:
        data["end"] = end.isoformat()
    if appt.status in ("cancelled", "expired"):
        data["cancelationReason"] = {"text": "hold expired" if appt.status == "expired" else "cancelled"}
    return FhirAppointment(**data)


def _document_identifier(id_type: str, value: str) -> dict[str, Any]:
    """The patient's identity document as a FHIR Identifier: the resident ID number under its national
    OID, a passport or travel permit under its own system (a passport number is no ID card number)."""
    system, code = DOCUMENT_SYSTEMS.get(id_type, DOCUMENT_SYSTEMS["resident_id"])
    return {"system": system, "value": value, "use": "official",
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": code}], "text": id_type}}


def patient_to_fhir(patient: Patient) -> FhirPatient:
    data: dict[str, Any] = {
        "id": patient.patient_id,
        "identifier": [_document_identifier(getattr(patient, "id_type", None) or "resident_id", patient.id_number)],
        "name": [{"text": patient.name}],
        "telecom": [{"system": "phone", "value": patient.phone, "use": "mobile"}],
    }
    if patient.sex:
        data["gender"] = "male" if patient.sex == "M" else "female"
    if patient.birth_date:
        data["birthDate"] = patient.birth_date.isoformat()
    return FhirPatient(**data)


def appointment_from_fhir(resource: dict[str, Any] | str) -> dict[str, Any]:
    """Reads an R4 Appointment from a HIS (validating it) into the fields our store uses."""
    appt = FhirAppointment.model_validate_json(resource) if isinstance(resource, str) else FhirAppointment.model_validate(resource)
    out: dict[str, Any] = {"appointment_id": appt.id, "status": STATUS_FROM_FHIR.get(appt.status, "held"), "start": appt.start}
    for sl in appt.slot or []:
        if sl.reference and sl.reference.startswith("Slot/"):
            out["slot"] = slot_ref_from_id(sl.reference.split("/", 1)[1])
    for p in appt.participant or []:
        ref = (p.actor.reference if p.actor else "") or ""
        if ref.startswith("Patient/"):
            out["patient_id"] = ref.split("/", 1)[1]
        elif ref.startswith("Practitioner/"):
            out["doctor_id"] = ref.split("/", 1)[1]
    return out


def slot_from_fhir(resource: dict[str, Any] | str) -> dict[str, Any]:
    sl = FhirSlot.model_validate_json(resource) if isinstance(resource, str) else FhirSlot.model_validate(resource)
    return {"ref": slot_ref_from_id(sl.id), "free": sl.status == "free", "start": sl.start, "end": sl.end}
