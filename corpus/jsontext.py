"""JSON from a user's file (a JSONL record, a ``.meta.json`` sidecar) parsed with a reason a user can read.

Python's parser raises ``RecursionError`` on an array nested ~1,000 deep (``[[[[…``), which is no
``ValueError`` and would end a whole build, and a ``ValueError`` advising ``sys.set_int_max_str_digits()``
on an integer of more than 4,300 digits. Both are one bad record, not a bad run.
"""

from __future__ import annotations

import json
import sys
from typing import Any


class JsonTextError(ValueError):
    """Why a JSON text cannot be read: ``reason`` in Chinese, ``code`` for machines
    (``json_too_deep``, ``json_number_too_long``, ``invalid_json``)."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


def parse_json(text: str) -> Any:
    """``json.loads(text)``, or :class:`JsonTextError`.

    >>> parse_json("[" * 5000 + "]" * 5000)
    Traceback (most recent call last):
    corpus.jsontext.JsonTextError: JSON 嵌套过深（超过解析器的上限），无法解析
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise JsonTextError("JSON 嵌套过深（超过解析器的上限），无法解析", "json_too_deep") from None
    except json.JSONDecodeError as exc:
        raise JsonTextError(
            f"JSON 无效（invalid JSON）：第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}", "invalid_json"
        ) from None
    except ValueError as exc:
        if "digits" in str(exc):
            raise JsonTextError(
                f"JSON 中有一个整数超过 {sys.get_int_max_str_digits()} 位，无法解析", "json_number_too_long"
            ) from None
        raise JsonTextError(f"JSON 无效（invalid JSON）：{exc}", "invalid_json") from None
