"""The worksheet jiesu writes its workbooks with: XlsxWriter's, escaping every `_xHHHH_` in a text.

Apart from workbook.py so that reading a workbook (python-calamine) never imports XlsxWriter.
"""

from __future__ import annotations

import re

from xlsxwriter.worksheet import Worksheet

_ESCAPE_LIKE = re.compile(r"_(?=x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")  # what XML cannot hold, as XlsxWriter escapes it


class EscapingWorksheet(Worksheet):
    """XlsxWriter's worksheet, with every `_xHHHH_` in a text escaped, overlapping ones too.

    A sheet stores a control character as `_xHHHH_` and so a text that holds such a sequence has
    its `_` written `_x005F_`. XlsxWriter (3.3) finds the sequences without overlap: in
    `3号楼_x005F_x0041_` it escaped `_x005F_` alone, and the `_` it left of `_x0041_` read back
    as `A` (`3号楼_x005FA`). Here each `_` that starts such a sequence is escaped.
    """

    @staticmethod
    def _escape_control_characters(data: str) -> str:
        data = _ESCAPE_LIKE.sub("_x005F_", data)
        return _CONTROL.sub(lambda found: f"_x{ord(found.group()):04X}_", data)
