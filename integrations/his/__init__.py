"""Hospital information system connection: the interface, the built-in store, the FHIR R4 mapping."""

from integrations.his.interface import HIS

__all__ = ["HIS"]
