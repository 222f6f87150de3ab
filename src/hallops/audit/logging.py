"""A logging filter that masks phone and ID numbers in every log record."""

from __future__ import annotations

import logging

from hallops.core.masking import mask_text


class MaskPiiFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True
