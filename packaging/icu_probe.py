"""Ask Qt every question it answers with ICU data; print the answers as JSON.

Run by icu_slim.py with the bundle's full and its smaller libicudata preloaded: the answers
must be identical. Covers the Qt 6 code that calls ICU (qcollator_icu, qlocale_icu,
qstringconverter's ICU codecs, qtimezoneprivate_icu) and, as a guard, the Qt features that
must not depend on ICU (text boundaries, IDNA, locale names and formats).
"""

from __future__ import annotations

import json
from functools import cmp_to_key
from pathlib import Path

from PySide6.QtCore import (
    QCollator,
    QDateTime,
    QLocale,
    QStringConverter,
    QStringDecoder,
    QStringEncoder,
    QTextBoundaryFinder,
    QTimeZone,
    QUrl,
)

LOCALES = ["C", "en_US", "de_DE", "sv_SE", "tr_TR", "lt_LT", "ja_JP", "zh_CN", "ar_EG", "th_TH"]
WORDS = ["Zoë", "zoe", "Åsa", "Ärla", "Öberg", "Ola", "ıi", "İI", "二郎", "一郎", "file10", "file9",
         "ß", "ss", "Ćelić", "celic", "ไทย", "ก"]  # fmt: skip
ENCODINGS = ["Shift_JIS", "EUC-KR", "GB18030", "Big5", "ISO-8859-15", "windows-1251", "KOI8-R",
             "ISO-2022-JP", "IBM437", "macintosh"]  # fmt: skip
ZONES = [b"Europe/Berlin", b"America/New_York", b"Asia/Tokyo", b"Australia/Lord_Howe", b"UTC"]


def _mapped_icudata() -> str:
    for line in Path("/proc/self/maps").read_text().splitlines():
        if "libicudata" in line:
            return line.split(maxsplit=5)[-1]
    return ""


def main() -> None:
    out: dict[str, object] = {}
    for name in LOCALES:
        loc = QLocale(name)
        for numeric in (False, True):
            for case in (False, True):
                col = QCollator(loc)
                col.setNumericMode(numeric)
                col.setIgnorePunctuation(case)
                key = f"sort/{name}/{int(numeric)}{int(case)}"
                out[key] = sorted(WORDS, key=cmp_to_key(col.compare))
                out[key + "/pairs"] = [col.compare(a, b) for a in WORDS for b in WORDS[:6]]
        out[f"case/{name}"] = [(loc.toUpper(w), loc.toLower(w)) for w in WORDS]
        out[f"names/{name}"] = [loc.nativeLanguageName(), loc.nativeTerritoryName(),
                                loc.toString(1234567.891, "f", 2), loc.toCurrencyString(12.5),
                                loc.dateFormat(QLocale.FormatType.LongFormat)]  # fmt: skip
        when = QDateTime.fromSecsSinceEpoch(1_700_000_000, QTimeZone(b"Europe/Berlin"))
        out[f"datetime/{name}"] = loc.toString(when, "dddd d MMMM yyyy HH:mm t tttt")
        out[f"zones/{name}"] = [
            QTimeZone(z).displayName(kind, style, loc)
            for z in ZONES
            for kind in (QTimeZone.TimeType.StandardTime, QTimeZone.TimeType.DaylightTime)
            for style in (QTimeZone.NameType.LongName, QTimeZone.NameType.ShortName,
                          QTimeZone.NameType.OffsetName)
        ]  # fmt: skip
    text = "日本語のテキスト、ไทยภาษา and English words."
    # PySide6 does not bind encode/decode; the converters are kept whole (icu_slim.py), so
    # opening each by name (ICU's alias table) and listing them is the check here.
    for enc in ENCODINGS:
        encoder, decoder = QStringEncoder(enc), QStringDecoder(enc)
        out[f"codec/{enc}"] = [encoder.isValid(), encoder.name(), decoder.isValid()]
    out["codecs"] = sorted(QStringConverter.availableCodecs())
    for kind in (QTextBoundaryFinder.BoundaryType.Word, QTextBoundaryFinder.BoundaryType.Line,
                 QTextBoundaryFinder.BoundaryType.Sentence):  # fmt: skip
        finder = QTextBoundaryFinder(kind, text)
        stops = [finder.position()]
        while finder.toNextBoundary() != -1:
            stops.append(finder.position())
        out[f"boundaries/{kind.name}"] = stops
    out["idna"] = [QUrl.fromUserInput(u).toString(QUrl.ComponentFormattingOption.FullyEncoded)
                   for u in ("bücher.de", "例え.テスト", "ÉCOLE.fr")]  # fmt: skip
    out["icudata_mapped"] = _mapped_icudata()
    print(json.dumps(out, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
