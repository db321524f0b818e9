"""The item dictionary: every name, abbreviation and LOINC code a result may be printed under, mapped to
one item code, with the item's family (which decides the follow-up department)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from assistant.hospital import HospitalData

# code -> aliases (Chinese names, English names, abbreviations). The hospital's own name_zh/name_en
# from lab_reference.csv are added at load time.
ALIASES: dict[str, tuple[str, ...]] = {
    "WBC": ("白细胞", "白细胞计数", "白细胞数", "白血球", "白血球计数", "白细胞总数", "WBC", "LEU#", "white blood cells", "white cell count", "leukocytes", "leukocyte count"),
    "NEUT#": ("中性粒细胞绝对值", "中性粒细胞计数", "中性粒细胞数", "中性粒细胞#", "NEUT#", "NEU#", "GRAN#", "NE#", "ANC", "neutrophils#", "absolute neutrophil count", "neutrophils absolute"),
    "LYMPH#": ("淋巴细胞绝对值", "淋巴细胞计数", "淋巴细胞数", "淋巴细胞#", "LYMPH#", "LYM#", "LY#", "lymphocytes absolute", "lymphocytes#"),
    "MONO#": ("单核细胞绝对值", "单核细胞计数", "单核细胞#", "MONO#", "MON#", "MO#", "monocytes absolute"),
    "EOS#": ("嗜酸性粒细胞绝对值", "嗜酸细胞绝对值", "嗜酸性粒细胞计数", "嗜酸性粒细胞#", "EOS#", "EO#", "eosinophils absolute"),
    "RBC": ("红细胞", "红细胞计数", "红细胞数", "红血球", "RBC", "red blood cells", "red cell count", "erythrocytes"),
    "HGB": ("血红蛋白", "血红蛋白浓度", "血色素", "HGB", "HB", "Hb", "haemoglobin", "hemoglobin"),
    "HCT": ("红细胞压积", "红细胞比容", "血细胞比容", "压积", "HCT", "hematocrit", "haematocrit", "PCV"),
    "MCV": ("平均红细胞体积", "红细胞平均体积", "MCV", "mean corpuscular volume", "mean cell volume"),
    "MCHC": ("平均红细胞血红蛋白浓度", "红细胞平均血红蛋白浓度", "MCHC"),
    "PLT": ("血小板", "血小板计数", "血小板数", "血小板总数", "PLT", "platelets", "platelet count", "PLT count"),
    "ALT": ("丙氨酸氨基转移酶", "丙氨酸转氨酶", "谷丙转氨酶", "谷丙", "ALT", "GPT", "SGPT", "alanine aminotransferase", "alanine transaminase"),
    "AST": ("天门冬氨酸氨基转移酶", "天冬氨酸氨基转移酶", "天门冬氨酸转氨酶", "谷草转氨酶", "谷草", "AST", "GOT", "SGOT", "aspartate aminotransferase", "aspartate transaminase"),
    "GGT": ("γ-谷氨酰转移酶", "γ-谷氨酰转肽酶", "谷氨酰转肽酶", "谷氨酰转移酶", "r-谷氨酰转肽酶", "转肽酶", "GGT", "γ-GT", "r-GT", "GGTP", "gamma-GT", "gamma glutamyl transferase"),
    "ALP": ("碱性磷酸酶", "ALP", "AKP", "alkaline phosphatase"),
    "TBIL": ("总胆红素", "TBIL", "T-BIL", "TBil", "STB", "total bilirubin", "bilirubin total"),
    "DBIL": ("直接胆红素", "结合胆红素", "DBIL", "D-BIL", "DBil", "direct bilirubin", "bilirubin direct", "conjugated bilirubin"),
    "TP": ("总蛋白", "血清总蛋白", "TP", "total protein", "protein total"),
    "ALB": ("白蛋白", "血清白蛋白", "清蛋白", "ALB", "albumin"),
    "UREA": ("尿素", "尿素氮", "血尿素氮", "UREA", "BUN", "urea", "urea nitrogen", "blood urea nitrogen"),
    "CREA": ("肌酐", "血肌酐", "肌酐(酶法)", "肌酐(苦味酸法)", "CREA", "CR", "Cr", "SCr", "CRE", "creatinine"),
    "UA": ("尿酸", "血尿酸", "UA", "URIC", "uric acid"),
    "TC": ("总胆固醇", "胆固醇", "血清总胆固醇", "TC", "CHOL", "T-CHO", "TCHO", "total cholesterol", "cholesterol"),
    "TG": ("甘油三酯", "三酰甘油", "甘油三脂", "TG", "TRIG", "triglycerides", "triglyceride"),
    "LDL-C": ("低密度脂蛋白胆固醇", "低密度脂蛋白", "低密度", "坏胆固醇", "低密度脂蛋白-胆固醇", "LDL-C", "LDL", "LDL-CH", "LDLC", "LDL cholesterol"),
    "HDL-C": ("高密度脂蛋白胆固醇", "高密度脂蛋白", "高密度", "好胆固醇", "高密度脂蛋白-胆固醇", "HDL-C", "HDL", "HDL-CH", "HDLC", "HDL cholesterol"),
    "GLU": ("空腹血糖", "血糖", "空腹葡萄糖", "葡萄糖", "空腹血浆葡萄糖", "GLU", "FPG", "FBG", "GLU-F", "fasting glucose", "fasting plasma glucose", "glucose", "blood glucose"),
    "HbA1c": ("糖化血红蛋白", "糖化", "糖化血红", "糖化血红蛋白A1c", "HbA1c", "HBA1C", "A1C", "GHb", "glycated hemoglobin", "glycosylated hemoglobin", "hemoglobin a1c"),
    "K": ("钾", "血钾", "钾离子", "血清钾", "K", "K+", "potassium"),
    "NA": ("钠", "血钠", "钠离子", "血清钠", "NA", "Na", "Na+", "sodium"),
    "CL": ("氯", "血氯", "氯离子", "血清氯", "CL", "Cl", "Cl-", "chloride"),
    "CA": ("钙", "血钙", "总钙", "钙离子", "血清钙", "CA", "Ca", "calcium", "total calcium"),
    "TSH": ("促甲状腺激素", "促甲状腺素", "超敏促甲状腺激素", "TSH", "sTSH", "hTSH", "thyrotropin", "thyroid stimulating hormone"),
    "FT3": ("游离三碘甲状腺原氨酸", "游离T3", "游离三碘甲腺原氨酸", "FT3", "free T3", "free triiodothyronine"),
    "FT4": ("游离甲状腺素", "游离T4", "FT4", "free T4", "free thyroxine"),
    "U-SG": ("尿比重", "比重", "SG", "U-SG", "specific gravity", "urine specific gravity"),
    "U-PH": ("尿酸碱度", "酸碱度", "尿pH", "尿液酸碱度", "PH", "pH", "U-PH", "urine pH"),
    "U-RBC": ("尿红细胞(镜检)", "尿红细胞", "红细胞(镜检)", "镜检红细胞", "U-RBC", "urine red blood cells"),
    "U-WBC": ("尿白细胞(镜检)", "尿白细胞", "白细胞(镜检)", "镜检白细胞", "U-WBC", "urine white blood cells"),
    "PT": ("凝血酶原时间", "PT", "prothrombin time"),
    "INR": ("国际标准化比值", "国际标准化比率", "INR", "PT-INR", "international normalized ratio"),
    "APTT": ("活化部分凝血活酶时间", "部分凝血活酶时间", "APTT", "aPTT", "PTT", "activated partial thromboplastin time"),
    "FIB": ("纤维蛋白原", "纤维蛋白原含量", "FIB", "FBG-C", "Fg", "fibrinogen"),
    "D-D": ("D-二聚体", "D二聚体", "D-D", "DD", "D-Dimer", "D dimer", "d-dimer"),
    # Common items the hospital has no reference row for: recognised, judged by the printed range only.
    "NEUT%": ("中性粒细胞", "中性粒细胞百分比", "中性粒细胞百分数", "中性粒细胞比率", "中性粒细胞%", "NEUT%", "NEU%", "GRAN%", "NE%", "neutrophils %", "neutrophils"),
    "LYMPH%": ("淋巴细胞", "淋巴细胞百分比", "淋巴细胞百分数", "淋巴细胞比率", "淋巴细胞%", "LYMPH%", "LYM%", "LY%", "lymphocytes %", "lymphocytes"),
    "MONO%": ("单核细胞", "单核细胞百分比", "单核细胞百分数", "单核细胞%", "MONO%", "MON%", "MO%", "monocytes %"),
    "EOS%": ("嗜酸性粒细胞", "嗜酸细胞", "嗜酸性粒细胞百分比", "嗜酸性粒细胞百分数", "嗜酸性粒细胞%", "EOS%", "EO%", "eosinophils %"),
    "BASO%": ("嗜碱性粒细胞", "嗜碱性粒细胞百分比", "嗜碱性粒细胞百分数", "嗜碱性粒细胞%", "BASO%", "BA%"),
    "BASO#": ("嗜碱性粒细胞绝对值", "嗜碱性粒细胞计数", "嗜碱性粒细胞#", "BASO#", "BA#"),
    "MCH": ("平均红细胞血红蛋白含量", "平均红细胞血红蛋白量", "红细胞平均血红蛋白量", "MCH"),
    "RDW-CV": ("红细胞分布宽度", "红细胞分布宽度-CV", "红细胞体积分布宽度", "RDW", "RDW-CV"),
    "MPV": ("平均血小板体积", "MPV"),
    "CRP": ("C反应蛋白", "C-反应蛋白", "超敏C反应蛋白", "CRP", "hs-CRP", "hsCRP", "C-reactive protein"),
    "ESR": ("血沉", "红细胞沉降率", "ESR"),
    "GLB": ("球蛋白", "GLB", "globulin"),
    "A/G": ("白球比", "白蛋白/球蛋白", "A/G", "白球比值"),
    "IBIL": ("间接胆红素", "非结合胆红素", "IBIL", "I-BIL", "indirect bilirubin"),
    "TBA": ("总胆汁酸", "TBA", "total bile acids"),
    "EGFR": ("估算肾小球滤过率", "肾小球滤过率", "eGFR", "EGFR"),
    "CYSC": ("胱抑素C", "半胱氨酸蛋白酶抑制剂C", "Cys-C", "CysC", "cystatin C"),
    "CK": ("肌酸激酶", "CK", "CPK", "creatine kinase"),
    "LDH": ("乳酸脱氢酶", "LDH", "LD", "lactate dehydrogenase"),
    "TT": ("凝血酶时间", "TT", "thrombin time"),
    "U-PRO": ("尿蛋白", "蛋白质", "尿蛋白定性", "PRO", "protein", "U-PRO", "urine protein"),
    "U-GLU": ("尿糖", "尿葡萄糖", "U-GLU", "urine glucose"),
    "U-KET": ("酮体", "尿酮体", "KET", "U-KET", "ketones", "ketone"),
    "U-BLD": ("隐血", "尿隐血", "潜血", "尿潜血", "BLD", "ERY", "U-BLD", "occult blood"),
    "U-LEU": ("尿白细胞酯酶", "白细胞酯酶", "LEU", "U-LEU", "leukocyte esterase"),
    "U-NIT": ("亚硝酸盐", "尿亚硝酸盐", "NIT", "U-NIT", "nitrite"),
    "U-BIL": ("尿胆红素", "U-BIL", "urine bilirubin"),
    "U-URO": ("尿胆原", "URO", "UBG", "U-URO", "urobilinogen"),
    "HBSAG": ("乙肝表面抗原", "乙型肝炎表面抗原", "HBsAg", "hepatitis B surface antigen"),
    "HBSAB": ("乙肝表面抗体", "乙型肝炎表面抗体", "HBsAb", "抗-HBs"),
    "HBEAG": ("乙肝e抗原", "乙型肝炎e抗原", "HBeAg"),
    "HBEAB": ("乙肝e抗体", "乙型肝炎e抗体", "HBeAb", "抗-HBe"),
    "HBCAB": ("乙肝核心抗体", "乙型肝炎核心抗体", "HBcAb", "抗-HBc"),
}

# Names that mean a urine test when the value is qualitative or per high-power field.
URINE_SWITCH = {"GLU": "U-GLU", "WBC": "U-WBC", "RBC": "U-RBC", "TBIL": "U-BIL", "HGB": "U-BLD"}

FAMILY: dict[str, str] = {}
for _c in ("WBC", "NEUT#", "LYMPH#", "MONO#", "EOS#", "RBC", "HGB", "HCT", "MCV", "MCHC", "PLT", "NEUT%",
           "LYMPH%", "MONO%", "EOS%", "BASO%", "BASO#", "MCH", "RDW-CV", "MPV", "CRP", "ESR"):
    FAMILY[_c] = "blood"
for _c in ("ALT", "AST", "GGT", "ALP", "TBIL", "DBIL", "TP", "ALB", "GLB", "A/G", "IBIL", "TBA"):
    FAMILY[_c] = "liver"
for _c in ("HBSAG", "HBSAB", "HBEAG", "HBEAB", "HBCAB"):
    FAMILY[_c] = "hepatitis"
for _c in ("UREA", "CREA", "UA", "EGFR", "CYSC"):
    FAMILY[_c] = "kidney"
for _c in ("TC", "TG", "LDL-C", "HDL-C"):
    FAMILY[_c] = "lipid"
for _c in ("GLU", "HbA1c"):
    FAMILY[_c] = "glucose"
for _c in ("K", "NA", "CL"):
    FAMILY[_c] = "electrolyte"
FAMILY["CA"] = "thyroid"  # calcium follow-up sits with endocrinology here
for _c in ("TSH", "FT3", "FT4"):
    FAMILY[_c] = "thyroid"
for _c in ("U-SG", "U-PH", "U-RBC", "U-WBC", "U-PRO", "U-GLU", "U-KET", "U-BLD", "U-LEU", "U-NIT", "U-BIL", "U-URO"):
    FAMILY[_c] = "urine"
for _c in ("PT", "INR", "APTT", "FIB", "D-D", "TT"):
    FAMILY[_c] = "coagulation"
for _c in ("CK", "LDH"):
    FAMILY[_c] = "other"

# family -> follow-up dept_ids (first is the default), from departments.csv.
FAMILY_DEPARTMENTS = {
    "liver": ("gastroenterology", "infectious_diseases"),
    "hepatitis": ("infectious_diseases", "gastroenterology"),
    "kidney": ("nephrology",),
    "urine": ("nephrology", "urology"),
    "electrolyte": ("nephrology", "general_practice"),
    "glucose": ("endocrinology",),
    "thyroid": ("endocrinology",),
    "lipid": ("cardiology", "endocrinology"),
    "blood": ("general_practice",),
    "coagulation": ("general_practice",),
    "other": ("general_practice",),
}

# LOINC -> code (FHIR Observations).
LOINC: dict[str, str] = {
    "6690-2": "WBC", "26464-8": "WBC", "751-8": "NEUT#", "26499-4": "NEUT#", "731-0": "LYMPH#", "26474-7": "LYMPH#",
    "742-7": "MONO#", "711-2": "EOS#", "789-8": "RBC", "26453-1": "RBC", "718-7": "HGB", "20509-6": "HGB",
    "4544-3": "HCT", "20570-8": "HCT", "787-2": "MCV", "786-4": "MCHC", "785-6": "MCH", "777-3": "PLT", "26515-7": "PLT",
    "770-8": "NEUT%", "736-9": "LYMPH%", "5905-5": "MONO%", "713-8": "EOS%", "788-0": "RDW-CV",
    "1742-6": "ALT", "1743-4": "ALT", "1920-8": "AST", "2324-2": "GGT", "6768-6": "ALP", "1975-2": "TBIL", "14631-6": "TBIL",
    "1968-7": "DBIL", "14629-0": "DBIL", "2885-2": "TP", "1751-7": "ALB", "3091-6": "UREA", "22664-7": "UREA", "3094-0": "UREA",
    "6299-2": "UREA", "2160-0": "CREA", "14682-9": "CREA", "3084-1": "UA", "14933-6": "UA", "2093-3": "TC", "14647-2": "TC",
    "2571-8": "TG", "14927-8": "TG", "13457-7": "LDL-C", "2089-1": "LDL-C", "22748-8": "LDL-C", "18262-6": "LDL-C",
    "2085-9": "HDL-C", "14646-4": "HDL-C", "1558-6": "GLU", "14771-0": "GLU", "2345-7": "GLU", "15074-8": "GLU", "2339-0": "GLU",
    "4548-4": "HbA1c", "17856-6": "HbA1c", "59261-8": "HbA1c", "2823-3": "K", "6298-4": "K", "2951-2": "NA", "2947-0": "NA",
    "2075-0": "CL", "2069-3": "CL", "17861-6": "CA", "2000-8": "CA", "3016-3": "TSH", "11580-8": "TSH", "11579-0": "TSH",
    "3051-0": "FT3", "14928-6": "FT3", "3024-7": "FT4", "14920-3": "FT4", "5811-5": "U-SG", "2965-2": "U-SG",
    "5803-2": "U-PH", "2756-5": "U-PH", "13945-1": "U-RBC", "5821-4": "U-WBC", "5902-2": "PT", "6301-6": "INR",
    "34714-6": "INR", "14979-9": "APTT", "3173-2": "APTT", "3255-7": "FIB", "48065-7": "D-D", "48066-5": "D-D",
    "1988-5": "CRP", "30522-7": "CRP", "5804-0": "U-PRO", "20454-5": "U-PRO", "5792-7": "U-GLU", "5797-6": "U-KET",
    "5794-3": "U-BLD", "5799-2": "U-LEU", "5802-4": "U-NIT", "5770-3": "U-BIL", "5818-0": "U-URO", "5196-1": "HBSAG",
    "33914-3": "EGFR", "62238-1": "EGFR",
}

# "我血钾", "我妈的血红蛋白", "今天查的血糖": spoken lead-ins before a test name
_SPOKEN_PREFIX = re.compile(
    r"^(?:医生|大夫|你好|您好)?(?:化验单|报告单|检查单|报告|化验|结果)?(?:上|里|中)?的?(?:我|我的|我妈|我爸|我妈妈|我爸爸|我老婆|我老公|我家孩子|孩子|宝宝|老人|他|她)?的?"
    r"(?:今天|昨天|刚才|最近|这次|上次)?(?:查|测|化验|检查|抽血)?(?:的|了|出来|出来的)?"
)
_PAREN = re.compile(r"[\(\[（【]([^\)\]）】]*)[\)\]）】]")


def norm_key(s: str) -> str:
    """Loose lookup key: NFKC, lowercase, no spaces, stars, colons or leading bullets."""
    s = unicodedata.normalize("NFKC", s).strip().lower()
    s = s.replace("γ", "r").replace("ɤ", "r")
    s = re.sub(r"[\s\*★☆▲▼:_·•]", "", s)
    s = re.sub(r"^\d{1,2}[\.、)]", "", s)  # "1." or "12、" row numbers
    return s


@dataclass(frozen=True)
class Lookup:
    code: str
    how: str  # exact | part


class ItemDictionary:
    """Name/abbreviation/LOINC → item code, built from ALIASES and the hospital's lab_reference.csv."""

    def __init__(self, hospital: HospitalData | None = None) -> None:
        self._keys: dict[str, str] = {}
        self.names_zh: dict[str, str] = {}
        self.names_en: dict[str, str] = {}
        for code, aliases in ALIASES.items():
            for a in aliases:
                self._keys.setdefault(norm_key(a), code)
            self.names_zh[code] = next((a for a in aliases if re.search(r"[\u4e00-\u9fff]", a)), code)
            self.names_en[code] = next(
                (a for a in aliases if re.fullmatch(r"[A-Za-z][A-Za-z \-]+", a) and " " in a), code
            )
        if hospital is not None:
            for ref in hospital.lab_reference:
                self._keys[norm_key(ref.item_code)] = ref.item_code
                self._keys[norm_key(ref.name_zh)] = ref.item_code
                self._keys[norm_key(ref.name_en)] = ref.item_code
                self.names_zh[ref.item_code] = ref.name_zh
                self.names_en[ref.item_code] = ref.name_en
                FAMILY.setdefault(ref.item_code, "other")
        self._max_len = max(len(k) for k in self._keys)

    def exact(self, text: str) -> str | None:
        return self._keys.get(norm_key(text))

    def lookup(self, name: str) -> str | None:
        """Best code for a printed name such as "白细胞计数(WBC)", "WBC 白细胞", "*ALT 谷丙转氨酶"."""
        if not name or not name.strip():
            return None
        whole = self.exact(name)
        if whole:
            return whole
        spoken = _SPOKEN_PREFIX.sub("", name.strip())
        if spoken != name.strip() and spoken:
            hit = self.exact(spoken)
            if hit:
                return hit
        outside = _PAREN.sub(" ", name)
        words = outside.split()
        # the longest run of words that is a known name wins ("LDL cholesterol" in "LDL cholesterol LDL-C")
        for n in range(len(words), 0, -1):
            hits = [self.exact(" ".join(words[i:i + n])) for i in range(len(words) - n + 1)]
            if n == 1:
                hits += [self.exact(_SPOKEN_PREFIX.sub("", w)) for w in words if _SPOKEN_PREFIX.sub("", w) != w]
            hits = [h for h in hits if h]
            if hits:
                if n > 1 or len(set(hits)) == 1:
                    return hits[0]
                break
        parts: list[str] = [m.group(1) for m in _PAREN.finditer(name)] + words
        # Chinese and Latin runs glued together ("白细胞WBC")
        for p in list(parts):
            parts += re.findall(r"[\u4e00-\u9fffγ\-]+|[A-Za-z][A-Za-z0-9#%\-\+/]*", p)
        for p in list(parts):
            if re.search(r"[a-z][A-Z]", p):  # "cholesterolTC", glued by a PDF or OCR
                parts += re.split(r"(?<=[a-z])(?=[A-Z])", p)
        found = [c for c in (self.exact(p) for p in parts if p.strip()) if c]
        if not found:
            return None
        if len(set(found)) == 1:
            return found[0]
        # disagreement: the code named most often, then the longest matching alias
        counts = {c: found.count(c) for c in found}
        top = max(counts.values())
        best, best_len = None, -1
        for p in parts:
            c = self.exact(p)
            if c and counts[c] == top and len(norm_key(p)) > best_len:
                best, best_len = c, len(norm_key(p))
        return best

    def is_known_name(self, name: str) -> bool:
        return self.lookup(name) is not None

    def name_zh(self, code: str) -> str:
        return self.names_zh.get(code, code)

    def name_en(self, code: str) -> str:
        return self.names_en.get(code, code)
