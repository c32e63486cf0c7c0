"""Every ``web.AppKey`` of handoff, in one place: what its routes find on the application.

:func:`handoff.routes.setup` fills them (``SESSIONS`` is set by the app factory, which also
checks the console's session for the KB authoring routes).
"""

from __future__ import annotations

from aiohttp import web

from core.orders import OrderLookup
from handoff.auth import Sessions
from handoff.desk import DeskActions
from handoff.lockout import Lockout
from handoff.search_index import MessageIndex
from handoff.service import HandoffService
from handoff.type_seeder import Seeder
from intake.sla import SlaClock
from intake.warranty import Warranty
from kb.service import KnowledgeBase

SESSIONS = web.AppKey("agent_sessions", Sessions)  # the agents' signed session cookies
LOCKOUT = web.AppKey("login_lockout", Lockout)  # failed logins per account and address
HANDOFF = web.AppKey("handoff", HandoffService)  # owner changes
DESK = web.AppKey("desk", DeskActions)  # ticket moves, transfer, agent status
DESK_KB = web.AppKey("desk_kb", KnowledgeBase)  # suggestions for the agent (absent: none)
TYPING = web.AppKey("typing_marks", dict)  # when each agent last said they are typing
INDEX = web.AppKey("message_index", MessageIndex)  # the search index of messages
ORDERS = web.AppKey("order_lookup", OrderLookup)  # the order panel's connector (absent: off)
CLOCK = web.AppKey("agent_ticket_clock", SlaClock)  # due times of tickets agents open
CONSOLES = web.AppKey("console_sockets", set[web.WebSocketResponse])  # open console sockets
WARRANTY = web.AppKey("warranty", Warranty)  # a product's warranty state
SEEDER = web.AppKey("ticket_type_seeder", Seeder)  # the configured ticket types, seeded once
