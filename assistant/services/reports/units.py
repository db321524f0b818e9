"""Unit spelling (μmol/L, umol/L, ×10⁹/L, 10*9/L ...) brought to one form, and conversions between the
units the same test is printed in (glucose mg/dL ↔ mmol/L, creatinine mg/dL ↔ μmol/L, ...)."""

from __future__ import annotations

import math
import re

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")

# Canonical spellings, keyed by a loose form (lowercase, μ→u, no spaces/×/x prefix).
_CANON = {
    "10^9/l": "10^9/L",
    "g/l": "g/L",
    "10^12/l": "10^12/L",
    "10^3/ul": "10^3/μL",
    "10^6/ul": "10^6/μL",
    "k/ul": "10^3/μL",
    "m/ul": "10^6/μL",
    "/ul": "/μL",
    "/mm3": "10^3/μL",  # only used as "×10³/mm³"; handled by prefix
    "mmol/l": "mmol/L",
    "meq/l": "mmol/L",
    "umol/l": "μmol/L",
    "pmol/l": "pmol/L",
    "nmol/l": "nmol/L",
    "mmol/mol": "mmol/mol",
    "mg/dl": "mg/dL",
    "g/dl": "g/dL",
    "mg/l": "mg/L",
    "ug/ml": "μg/mL",
    "ng/ml": "ng/mL",
    "pg/ml": "pg/mL",
    "ng/dl": "ng/dL",
    "ug/l": "μg/L",
    "mg/lfeu": "mg/L FEU",
    "ug/mlfeu": "μg/mL FEU",
    "ng/mlfeu": "ng/mL FEU",
    "mgfeu/l": "mg/L FEU",
    "u/l": "U/L",
    "iu/l": "U/L",
    "miu/l": "mIU/L",
    "uiu/ml": "mIU/L",
    "uu/ml": "mIU/L",
    "miu/ml": "mIU/mL",
    "%": "%",
    "fl": "fL",
    "pg": "pg",
    "s": "s",
    "sec": "s",
    "/hp": "/HP",
    "个/hp": "/HP",
    "/hpf": "/HP",
    "l/l": "L/L",
    "ratio": "",
}

UNIT_RE = re.compile(
    r"^(?:[x×*]?10\^?\d{1,2}/[lL]|[x×*]?10\^\d{1,2}/[uμµ][lL]|[x×*]?10\^\d/mm3|"
    r"(?:m|u|μ|µ|p|n|k|g|mg|ng|pg|ug|μg|mEq|meq|m[iI]U|[uμ][iI]U|[iI]U|U|mmol|μmol|umol|pmol|nmol|mol|g|L|l)"
    r"/(?:L|l|dL|dl|mL|ml|uL|μL|µL|mm3|mol|HP|hp|HPF)(?:\s?FEU)?|"
    r"mg\s?FEU/L|%|fL|fl|pg|sec|s|/HP|/hp|/HPF|个/HP|/[uμ]L|K/uL|M/uL|L/L)$"
)


def clean_unit(raw: str | None) -> str | None:
    """Canonical spelling of a printed unit, or None when blank."""
    if raw is None:
        return None
    u = raw.strip().translate(_SUPERSCRIPTS)
    if not u:
        return None
    loose = u.replace("µ", "u").replace("μ", "u").replace(" ", "").lower()
    loose = re.sub(r"^[x×*]", "", loose)
    loose = re.sub(r"^10\*(\d)", r"10^\1", loose)
    loose = re.sub(r"^10e(\d)", r"10^\1", loose)
    loose = re.sub(r"^10\^?(\d+)/", r"10^\1/", loose)
    if loose in ("10^9/l",):
        return "10^9/L"
    if loose in ("10^3/mm3",):
        return "10^3/μL"
    if loose in ("10^6/mm3",):
        return "10^6/μL"
    if loose == "10^3/ul":
        return "10^3/μL"
    if loose == "10^6/ul":
        return "10^6/μL"
    return _CANON.get(loose, u)


_GENERIC_UNIT_RE = re.compile(r"^(?:[A-Za-zμµ][A-Za-zμµ0-9.^]*|10\^\d{1,2})/[A-Za-zμµ0-9.^/]+$")


def looks_like_unit(token: str) -> bool:
    t = token.strip().translate(_SUPERSCRIPTS)
    if not t:
        return False
    return bool(UNIT_RE.match(t)) or (len(t) <= 18 and bool(_GENERIC_UNIT_RE.match(t)))


# Equivalent units: factor f so that value_in_canonical = value * f.
_SAME = {
    ("10^3/μL", "10^9/L"): 1.0,
    ("10^6/μL", "10^12/L"): 1.0,
    ("mIU/mL", "mIU/L"): 1000.0,
    ("μg/mL FEU", "mg/L FEU"): 1.0,
    ("ng/mL FEU", "mg/L FEU"): 0.001,
    ("L/L", "%"): 100.0,
    ("g/dL", "g/L"): 10.0,
}

# Per test: alternate unit -> factor into the hospital's unit.
_BY_CODE: dict[str, dict[str, float]] = {
    "GLU": {"mg/dL": 1 / 18.016},
    "CREA": {"mg/dL": 88.42},
    "TC": {"mg/dL": 1 / 38.67},
    "LDL-C": {"mg/dL": 1 / 38.67},
    "HDL-C": {"mg/dL": 1 / 38.67},
    "TG": {"mg/dL": 1 / 88.57},
    "UA": {"mg/dL": 59.48},
    "TBIL": {"mg/dL": 17.1},
    "DBIL": {"mg/dL": 17.1},
    "UREA": {"mg/dL": 0.357},  # BUN mg/dL -> urea mmol/L
    "CA": {"mg/dL": 0.2495},
    "FT4": {"ng/dL": 12.87},
    "FT3": {"pg/mL": 1.536},
    "FIB": {"mg/dL": 0.01},
    "HbA1c": {},  # mmol/mol handled in convert()
}

# Where the hospital unit could be missing from a report: the values that are plausible, in the
# hospital's unit. Used to guess the unit of a unitless value and refuse implausible guesses.
PLAUSIBLE = {
    "GLU": (0.5, 60.0),
    "CREA": (15.0, 3000.0),
    "TC": (0.5, 25.0),
    "LDL-C": (0.1, 15.0),
    "HDL-C": (0.1, 5.0),
    "TG": (0.05, 60.0),
    "UA": (30.0, 1500.0),
    "TBIL": (0.5, 900.0),
    "DBIL": (0.1, 600.0),
    "UREA": (0.5, 90.0),
    "CA": (0.8, 5.0),
    "HGB": (15.0, 260.0),
    "ALB": (5.0, 70.0),
    "TP": (20.0, 140.0),
    "MCHC": (200.0, 450.0),
    "HbA1c": (2.5, 20.0),
    "FT4": (1.0, 150.0),
    "FT3": (0.5, 60.0),
    "FIB": (0.1, 15.0),
    "HCT": (8.0, 80.0),
}


def _same_family(code: str, unit: str) -> bool:
    return code in ("HGB", "MCHC", "TP", "ALB") and unit == "g/dL"


def factor(code: str, unit: str | None, target: str) -> float | None:
    """Factor to bring a value of `code` from `unit` into `target` (the hospital's unit), or None."""
    u = clean_unit(unit) if unit else None
    t = clean_unit(target) if target else target
    if u is None or u == t or (u or "") == (t or ""):
        return 1.0
    if (u, t) in _SAME:
        return _SAME[(u, t)]
    if code in ("K", "NA", "CL") and u == "mmol/L":
        return 1.0
    alt = _BY_CODE.get(code, {})
    if u in alt:
        return alt[u]
    if _same_family(code, u):
        return 10.0
    return None


def convert(code: str, value: float, unit: str | None, target: str) -> float | None:
    """Value of `code` expressed in `target`, or None when the units are not convertible."""
    u = clean_unit(unit) if unit else None
    if code == "HbA1c" and u == "mmol/mol" and target == "%":
        return value / 10.929 + 2.15
    if code == "HbA1c" and u == "%" and target == "mmol/mol":
        return (value - 2.15) * 10.929
    f = factor(code, unit, target)
    return None if f is None else value * f


def convert_back(code: str, value: float | None, hospital_unit: str, report_unit: str | None) -> float | None:
    """A hospital-unit limit expressed in the report's unit (for showing the range the value was judged by)."""
    if value is None:
        return None
    u = clean_unit(report_unit) if report_unit else None
    if code == "HbA1c" and u == "mmol/mol":
        return round((value - 2.15) * 10.929, 1)
    f = factor(code, report_unit, hospital_unit)
    if f is None or f == 0:
        return None
    return nice(value / f)


def nice(x: float) -> float:
    """Round to 3 significant figures (at most 2 decimals) for display."""
    if x == 0 or not math.isfinite(x):
        return x
    digits = max(0, min(3, 2 - int(math.floor(math.log10(abs(x))))))
    return round(x, digits)


def alternate_units(code: str, hospital_unit: str | None = None) -> list[str]:
    """Other units the test is printed in: its own (glucose in mg/dL), and those that are the hospital
    unit scaled (haemoglobin 7.5 g/dL is 75 g/L)."""
    out = list(_BY_CODE.get(code, {}))
    if hospital_unit:
        target = clean_unit(hospital_unit)
        out += [a for (a, b) in _SAME if b == target and a != target and a not in out]
    return out
