"""Feedback typed as a reply to the bot's last answer: "有用", "没用", "谢谢", "还是不行".

The web chat has 👍/👎 buttons under an answer; on WeChat and email the customer can only
write. A whole message that says the answer helped ("有用", "thanks") or did not ("没用", "not
helpful") right after an answer is recorded as the same vote the buttons record (through the
injected :class:`Votes`, on the conversation's last answer). "还是不行" / "still not working"
is a vote down that also counts as a miss toward escalation: after ``max_misses`` of them the
customer goes to a person. A message that says more ("谢谢，那运费谁出？") is a question.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Protocol

from bot.router import Context, Handler
from bot.texts import say
from core.domain import BotReply, BotState, BotTurn, EscalationRequest

_END = r"[\s!！。.,，~～?？了啦呀啊哦的你您😊🙏👍👎]*$"
UP = re.compile(
    r"^(?:有用|很有用|有帮助|有幫助|帮到了|解决了|问题解决了|(?:好的?|明白了|知道了)[，,\s]?谢谢|谢谢|謝謝|多谢|多謝|感谢|感謝|谢啦|👍"
    r"|helpful|very helpful|that helped|it helped|this helped|solved|it worked|that worked"
    r"|thanks|thank you|thx|ty|great,? thanks)(?: so much| very much)?" + _END,
    re.IGNORECASE,
)
DOWN = re.compile(
    r"^(?:没用|没有用|沒用|沒有用|无用|不管用|没帮助|没有帮助|不对|答非所问|不是这个|👎"
    r"|not helpful|unhelpful|useless|no help|wrong answer|that's not it|that is not it)" + _END,
    re.IGNORECASE,
)
STILL = re.compile(
    r"^(?:还是不行|還是不行|还是不可以|还是没用|还是没有用|还不行|依然不行|仍然不行|还是坏的|还是不能用"
    r"|没解决|还没解决|问题还在|试了不行|试过了不行"
    r"|still not working|still doesn'?t work|still broken|still not fixed|didn'?t work"
    r"|doesn'?t work|it doesn'?t work|not solved|not fixed)" + _END,
    re.IGNORECASE,
)


class Votes(Protocol):
    """Records a customer's vote on the conversation's last bot answer."""

    async def vote(self, conversation_id: int, value: str) -> bool:
        """``value`` "up" or "down" on the last answer; False when there is none to rate."""
        ...


def reading(text: str) -> str | None:
    """ "up", "down" or "still" for a whole-message feedback reply, else None."""
    if STILL.match(text):
        return "still"
    if DOWN.match(text):
        return "down"
    if UP.match(text):
        return "up"
    return None


def make_feedback(votes: Votes | None, *, max_misses: int) -> Handler:
    """Feedback on the last answer, recorded as a vote; "still not working" counts a miss."""

    async def feedback(ctx: Context) -> BotTurn | None:
        kind = reading(ctx.text)
        if kind is None:
            return None
        if kind != "still" and not ctx.state.answered:
            return None  # "谢谢" with no answer before: the greeting handler's
        if ctx.state.answered and votes is not None:
            await votes.vote(ctx.turn.conversation_id, "up" if kind == "up" else "down")
        keep = dataclasses.replace(ctx.state, choices=(), language=ctx.language)
        if kind == "up":
            thanked = any(w in ctx.text.lower() for w in ("谢", "謝", "thank", "thx"))
            text = say("thanks" if thanked else "feedback_up", ctx.language)
            return BotTurn((BotReply(text),), dataclasses.replace(keep, misses=0), ctx.language)
        if kind == "down":
            reply = BotReply(say("feedback_down", ctx.language))
            return BotTurn((reply,), keep, ctx.language)
        misses = ctx.state.misses + 1
        if misses >= max_misses:
            return BotTurn(
                (),
                BotState(language=ctx.language),
                ctx.language,
                EscalationRequest("repeated_failure", say("escalate_failure", ctx.language)),
            )
        reply = BotReply(say("still_not_working", ctx.language))
        return BotTurn((reply,), dataclasses.replace(keep, misses=misses), ctx.language)

    return feedback
