"""Booking (挂号): slot generation under the outpatient guide's rules and the booking service."""

from assistant.services.booking.service import BookingService, build_booking_service
from assistant.services.booking.types import Appointment, BookingResult, PatientInfo, Slot, SlotRef

__all__ = ["Appointment", "BookingResult", "BookingService", "PatientInfo", "Slot", "SlotRef", "build_booking_service"]
