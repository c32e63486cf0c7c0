"""Whether a message asks for a repair or an installation (the form starts) or asks about one
(the knowledge base answers), and the fault it already names.
"""

from __future__ import annotations

import re

STARTS: dict[str, re.Pattern[str]] = {
    "repair": re.compile(
        r"报修|维修|修理|上门修|想修|要修|修一下|派(?:一?[个位])?师傅|派人|师傅上门|上门(?:看|检)"
        r"|\brepair\b|\bfix\b|send (?:an? )?(?:engineer|technician)",
        re.I,
    ),
    "install": re.compile(r"安装|装机|\binstall(?:ation)?\b", re.I),
}
PROGRESS = re.compile(
    r"进度|到哪|怎么样了|状态|处理得|什么时候来|\bstatus\b|where(?:'s| is)", re.IGNORECASE
)
REQUEST_CLAUSE = re.compile(
    r"^(?:我)?(?:想|要|需要|申请|请|帮我)?(?:报修|维修|修理|安装|上门|修一下)|"
    r"^(?:i )?(?:want|need|would like)(?: to)? (?:a )?(?:repair|fix|install)",
    re.IGNORECASE,
)
# A question about repairs ("怎么预约维修？", "安装收费吗", "那安装呢", "how much is a repair?")
# is the knowledge base's to answer; a request ("想报修", "能上门维修吗", "维修", "my washer
# is broken, please fix it") starts the form.
QUESTION = re.compile(
    r"[?？]|吗|呢|怎么|怎样|如何|多少|多久|什么|哪|是否|收费|费用|价格|流程"
    r"|^\s*(?:how|what|when|where|which|why|is|are|does|do|can|could|will)\b",
    re.IGNORECASE,
)
SEND = r"(?:上门|派人|派(?:一?[个位])?师傅|安排(?:一?[个位])?师傅)"
POLITE_REQUEST = re.compile(
    rf"(?:能|可以|能不能|可不可以|麻烦|请)(?:帮我|给我)?(?:安排)?(?:{SEND}*"
    rf"(?:报修|维修|修理|修一下|安装)|{SEND}+(?:来|过来)?(?:看看|看一下|看一看|检查|修))"
    r"|\b(?:can|could) you (?:please )?"
    r"(?:repair|fix|install|send (?:an? )?(?:engineer|technician))",
    re.IGNORECASE,
)


def is_request(text: str) -> bool:
    """Whether a message that names a repair or installation asks for one (not about one)."""
    clauses = [c.strip() for c in re.split(r"[，,。.！!；;\n]", text) if c.strip()]
    if any(REQUEST_CLAUSE.search(c) and not QUESTION.search(c) for c in clauses):
        return True
    return bool(POLITE_REQUEST.search(text)) or not QUESTION.search(text)


def first_fault(text: str) -> str:
    """The fault in the first message: its clauses other than the request itself."""
    clauses = [c.strip() for c in re.split(r"[，,。.！!？?；;]", text) if c.strip()]
    kept = [
        c
        for c in clauses
        if not REQUEST_CLAUSE.search(c) and not POLITE_REQUEST.search(c) and len(c) >= 2
    ]
    # "帮我约个师傅上门修一下", "please send an engineer": a clause that only asks for the
    # visit goes too, when another clause says what is wrong.
    said = [c for c in kept if not any(p.search(c) for p in STARTS.values())]
    return "，".join(said or kept)[:200]
