"""Every URL of handoff, in one table: the console and its API, admin, reports, the
customer's ticket page and the web chat's pre-chat form.

The app factory calls :func:`setup` once; no other handoff module mounts anything.
"""

from __future__ import annotations

from aiohttp import web

from core.context import SERVICES
from core.orders import OrderLookup
from handoff import (
    admin_routes,
    agent_tickets,
    alert_routes,
    attachment_routes,
    console_routes,
    console_socket,
    contacts_routes,
    desk_routes,
    label_routes,
    learning_routes,
    orders_routes,
    outbox_routes,
    prechat,
    prechat_routes,
    search,
    sla_list,
    team_routes,
    ticket_page_routes,
    ticket_routes,
    unanswered_routes,
    unread,
    visit_routes,
    workorders,
)
from handoff.desk import DeskActions
from handoff.http import STATIC
from handoff.keys import (
    CLOCK,
    CONSOLES,
    DESK,
    DESK_KB,
    HANDOFF,
    INDEX,
    LOCKOUT,
    ORDERS,
    SEEDER,
    TYPING,
    WARRANTY,
)
from handoff.lockout import Lockout
from handoff.search_index import MessageIndex
from handoff.service import HandoffService
from handoff.type_seeder import Seeder
from intake.sla import SlaClock
from intake.warranty import Warranty
from kb.service import KnowledgeBase

CONV = "/api/agent/conversations/{id}"
TICKET = "/api/agent/tickets/{number}"

ROUTES = [
    # -- the console: session, conversations and the agent's moves in them ----------------
    web.post("/api/agent/login", console_routes.login),
    web.post("/api/agent/logout", console_routes.logout),
    web.get("/api/agent/me", console_routes.me),
    web.get("/api/agent/channels", console_routes.list_channels),
    web.get("/api/agent/ws", console_socket.agent_ws),
    web.get("/api/agent/conversations", console_routes.list_conversations),
    web.get(CONV, console_routes.get_conversation),
    web.post(f"{CONV}/takeover", console_routes.takeover),
    web.post(f"{CONV}/messages", console_routes.post_message),
    web.post(f"{CONV}/resolve", console_routes.resolve),
    web.post(f"{CONV}/handback", console_routes.handback),
    web.post(f"{CONV}/pending", desk_routes.pending),
    web.post(f"{CONV}/transfer", desk_routes.transfer),
    web.get(f"{CONV}/suggestions", desk_routes.suggestions),
    web.get(f"{CONV}/customer", desk_routes.customer),
    web.get(f"{CONV}/orders", orders_routes.conversation_orders),
    web.post(f"{CONV}/read", unread.mark_read),
    web.post(f"{CONV}/attachments", attachment_routes.send_file),
    web.post(f"{CONV}/typing", attachment_routes.typing),
    web.get(f"{CONV}/receipts", attachment_routes.receipts),
    web.post(f"{CONV}/labels", label_routes.add_conversation_label),
    web.delete(f"{CONV}/labels/{{label_id}}", label_routes.remove_conversation_label),
    web.post(f"{CONV}/macros/{{macro_id}}", label_routes.apply_macro),
    web.post(f"{CONV}/link-contact", agent_tickets.link_contact),
    web.get("/api/agent/attachments/{key}", console_routes.attachment),
    web.get("/api/agent/upload-limits", attachment_routes.upload_limits),
    web.get("/api/agent/search", search.search_route),
    web.get("/api/agent/sla", sla_list.sla_list),
    web.get("/api/agent/agents", desk_routes.list_agents),
    web.post("/api/agent/status", desk_routes.set_status),
    web.get("/api/agent/canned", desk_routes.list_canned),
    web.get("/api/agent/labels", label_routes.list_labels),
    web.get("/api/agent/macros", label_routes.list_macros),
    # -- tickets, their types and fields, work orders, visits --------------------------------
    web.get("/api/agent/tickets", ticket_routes.list_tickets),
    web.post("/api/agent/tickets", agent_tickets.open_ticket),
    web.get(TICKET, ticket_routes.get_ticket),
    web.patch(TICKET, ticket_routes.patch_ticket),
    web.post(f"{TICKET}/status", ticket_routes.ticket_status),
    web.post(f"{TICKET}/merge", ticket_routes.merge_ticket),
    web.get(f"{TICKET}/fields", workorders.get_fields),
    web.put(f"{TICKET}/fields", workorders.put_fields),
    web.get(f"{TICKET}/page-link", ticket_page_routes.agent_link),
    web.post(f"{TICKET}/page-link/revoke", ticket_page_routes.agent_revoke),
    web.post(f"{TICKET}/visits", visit_routes.add_visit),
    web.get(f"{TICKET}/visits", visit_routes.ticket_visits),
    web.get("/api/agent/ticket-types", workorders.list_types),
    web.get("/api/agent/workorders", workorders.list_workorders),
    web.get("/api/agent/workorders/export", workorders.export_workorders),
    web.get("/api/agent/workorders/report", visit_routes.workorder_report),
    web.get("/api/agent/engineers", visit_routes.list_engineers),
    web.post("/api/agent/visits/{id}/status", visit_routes.visit_status),
    web.get("/api/agent/engineer/day", visit_routes.engineer_day),
    # -- customers and their products ------------------------------------------------------
    web.get("/api/agent/contacts", contacts_routes.find_contacts),
    web.get("/api/agent/contacts/{id}", contacts_routes.get_contact),
    web.patch("/api/agent/contacts/{id}", contacts_routes.patch_contact),
    web.post("/api/agent/contacts/{id}/merge", contacts_routes.merge_route),
    web.get("/api/agent/contacts/{id}/products", workorders.list_products),
    web.post("/api/agent/contacts/{id}/products", workorders.add_product_route),
    web.patch("/api/agent/products/{id}", workorders.edit_product_route),
    web.delete("/api/agent/products/{id}", workorders.delete_product),
    # -- supervisors' desks: dead letters, unanswered, learning, alerts ------------------------
    web.get("/api/agent/outbox/dead", outbox_routes.list_dead),
    web.post("/api/agent/outbox/{id}/retry", outbox_routes.retry),
    web.get("/api/agent/unanswered", unanswered_routes.list_unanswered),
    web.get("/api/agent/learning", learning_routes.list_groups),
    web.post("/api/agent/learning/similar", learning_routes.add_similar),
    web.post("/api/agent/learning/draft", learning_routes.start_draft),
    web.post("/api/agent/learning/dismiss", learning_routes.dismiss),
    web.get("/api/agent/alerts", alert_routes.list_alerts),
    web.post("/api/agent/alerts/{id}/ack", alert_routes.acknowledge),
    # -- admin: canned replies, agents, teams, SLA, labels, macros, types, engineers -------
    web.post("/api/admin/canned", admin_routes.add_canned),
    web.delete("/api/admin/canned/{id}", admin_routes.delete_canned),
    web.post("/api/admin/agents", admin_routes.admin_create_agent),
    web.patch("/api/admin/agents/{id}", admin_routes.admin_patch_agent),
    web.delete("/api/admin/agents/{id}", admin_routes.admin_remove_agent),
    web.put("/api/admin/agents/{id}/team", team_routes.set_agent_team),
    web.get("/api/admin/teams", team_routes.list_teams),
    web.post("/api/admin/teams", team_routes.create_team),
    web.put("/api/admin/inboxes/{name}/team", team_routes.set_inbox_team),
    web.get("/api/admin/inboxes/{name}/prechat", prechat_routes.get_prechat),
    web.put("/api/admin/inboxes/{name}/prechat", prechat_routes.put_prechat),
    web.get("/api/admin/sla", admin_routes.sla_policies),
    web.put("/api/admin/sla/policies/{key}", admin_routes.put_sla_policy),
    web.delete("/api/admin/sla/policies/{key}", admin_routes.delete_sla_policy),
    web.post("/api/admin/labels", label_routes.create_label),
    web.patch("/api/admin/labels/{id}", label_routes.patch_label),
    web.delete("/api/admin/labels/{id}", label_routes.delete_label),
    web.post("/api/admin/macros", label_routes.save_macro),
    web.put("/api/admin/macros/{id}", label_routes.save_macro),
    web.delete("/api/admin/macros/{id}", label_routes.delete_macro),
    web.put("/api/admin/ticket-types/{key}", workorders.put_type),
    web.post("/api/admin/engineers", visit_routes.add_engineer),
    web.patch("/api/admin/engineers/{id}", visit_routes.edit_engineer),
    # -- reports ---------------------------------------------------------------------------
    web.get("/api/reports/summary", admin_routes.report_summary),
    web.get("/api/reports/summary.csv", admin_routes.report_summary),
    web.get("/api/reports/labels", label_routes.label_report),
    # -- the customer's side: ticket page, the web chat's pre-chat form ----------------------
    web.get("/t/{token}", ticket_page_routes.page),
    web.post("/t/{token}", ticket_page_routes.rate),
    web.get("/ticket-page.css", ticket_page_routes.stylesheet),
    web.get("/api/webchat/profile", prechat.get_profile),
    web.post("/api/webchat/profile", prechat.post_profile),
    web.route("OPTIONS", "/api/webchat/profile", prechat.preflight),
    # -- the console's pages (the static files last: the named pages above win) -------------
    web.get("/agent", console_routes.redirect_to_console),
    web.get("/agent/", console_routes.console_index),
    web.get("/agent/reports", admin_routes.dashboard),
    web.get("/agent/settings", admin_routes.settings_page),
    web.get("/agent/outbox", outbox_routes.page),
    web.get("/agent/unanswered", unanswered_routes.page),
    web.get("/agent/learning", learning_routes.page),
    web.get("/agent/alerts", alert_routes.page),
    web.static("/agent/", STATIC, append_version=False),
]


def setup(
    app: web.Application,
    handoff: HandoffService,
    kb: KnowledgeBase | None = None,
    orders: OrderLookup | None = None,
) -> None:
    """Put handoff's objects on ``app`` (``handoff.keys``) and mount :data:`ROUTES`.

    ``kb`` gives agents answer suggestions; ``orders`` is the bot's order connector, shown
    in the console's order panel (None: not configured).
    """
    settings = app[SERVICES].settings
    app[HANDOFF] = handoff
    app[DESK] = DeskActions(handoff)
    app[LOCKOUT] = Lockout(app[SERVICES].db, settings.agents)
    if kb is not None:
        app[DESK_KB] = kb
    if orders is not None:
        app[ORDERS] = orders
    app[TYPING] = {}
    app[CONSOLES] = set()
    app.on_shutdown.append(console_socket.close_all)  # consoles reconnect to the next server
    app[INDEX] = MessageIndex(app[SERVICES].db)
    app[CLOCK] = SlaClock(settings.sla)
    app[WARRANTY] = Warranty(settings.workorders.warranty_rules)
    app[SEEDER] = Seeder(settings.workorders.ticket_types)
    app.middlewares.append(workorders.agent_language)  # the ticket types' labels in zh / en
    app.cleanup_ctx.append(search.keep_indexing)  # fills the search index while the app runs
    app.router.add_routes(ROUTES)
