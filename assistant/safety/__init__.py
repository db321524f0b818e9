"""Patient safety: red-flag rules, the outgoing-reply guard, PII masking."""
