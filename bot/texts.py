"""Everything the bot says, in Chinese and English."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "greeting": {
        "zh": "您好！我是智能客服助手，可以帮您处理退换货、退款、保修、维修预约、安装、"
        "配送、发票、配件和订单问题。请直接描述您的问题；需要人工服务请输入“转人工”。",
        "en": "Hello! I'm the support assistant. I can help with returns, refunds, warranty, "
        "repair booking, installation, delivery, invoices, spare parts and orders. "
        'Describe your question; type "human" to talk to a person.',
    },
    "thanks": {
        "zh": "不客气！还有其他问题随时问我。",
        "en": "You're welcome! Ask me anything else any time.",
    },
    "empty": {
        "zh": "请用文字描述您的问题，我来帮您查找答案。",
        "en": "Please describe your question in words and I'll look it up.",
    },
    "clarify": {
        "zh": "您是想问以下哪个问题？请回复序号：",
        "en": "Did you mean one of these? Reply with the number:",
    },
    "clarify_buttons": {
        "zh": "您是想问以下哪个问题？请点击选择；都不是的话，请换个说法，或输入“转人工”。",
        "en": 'Did you mean one of these? Tap one; if none fits, rephrase or type "human".',
    },
    "picked": {
        "zh": "关于「{question}」：\n{answer}",
        "en": 'About "{question}":\n{answer}',
    },
    "feedback_up": {
        "zh": "感谢您的反馈！还有其他问题随时问我。",
        "en": "Thanks for letting me know! Ask me anything else any time.",
    },
    "feedback_down": {
        "zh": "抱歉这个回答没能帮到您。可以换个说法描述一下您的问题吗？也可以输入“转人工”。",
        "en": "Sorry that answer didn't help. Could you describe your question another way? "
        'You can also type "human".',
    },
    "still_not_working": {
        "zh": "抱歉问题还没解决。请告诉我现在的具体情况（比如提示信息或现象），"
        "或输入“转人工”联系人工客服。",
        "en": "Sorry it still isn't solved. Tell me what happens now (a message or what you "
        'see), or type "human" to reach a person.',
    },
    "clarify_footer": {
        "zh": "都不是的话，请换个说法，或输入“转人工”。",
        "en": 'If none fits, rephrase your question or type "human".',
    },
    "miss": {
        "zh": "抱歉，我还没理解您的问题。可以换个说法再描述一下吗？"
        "也可以输入“转人工”联系人工客服。",
        "en": "Sorry, I didn't quite get that. Could you rephrase it? "
        'You can also type "human" to reach a person.',
    },
    "escalate_request": {
        "zh": "好的，正在为您转接人工客服，请稍候。工单号 #{ticket}，客服会尽快回复您。",
        "en": "Sure, I'm connecting you to a person. Your ticket is #{ticket}; "
        "an agent will reply shortly.",
    },
    "escalate_failure": {
        "zh": "抱歉没能帮到您，已为您转接人工客服（工单号 #{ticket}），请稍候，客服会尽快回复。",
        "en": "Sorry I couldn't help. I've passed you to a person (ticket #{ticket}); "
        "an agent will reply shortly.",
    },
    "escalate_hazard": {
        "zh": "这可能有安全风险，已为您优先转接人工客服（工单号 #{ticket}），客服会马上跟进。",
        "en": "This may be a safety risk, so I've passed it to a person as urgent "
        "(ticket #{ticket}); someone will follow up right away.",
    },
    "escalate_complaint": {
        "zh": "非常抱歉给您带来不好的体验。您的投诉已记录（工单号 #{ticket}），"
        "已转交主管亲自处理，请稍候。",
        "en": "I'm very sorry about this. Your complaint is recorded (ticket #{ticket}) and a "
        "supervisor is taking it personally; please hold on.",
    },
    "escalate_angry": {
        "zh": "非常抱歉让您不满意，已为您优先转接人工客服（工单号 #{ticket}），请稍候。",
        "en": "I'm sorry for the trouble. I've passed you to a person as a priority "
        "(ticket #{ticket}); please hold on.",
    },
    "safety_advice": {
        "zh": "为了您的安全，请先这样做：{advice}",
        "en": "For your safety, please do this first: {advice}",
    },
    "safety_default": {
        "zh": "为了您的安全，请先关闭电源总开关或燃气总阀，远离这台电器，不要再使用；"
        "如有起火或人员受伤，请立即拨打119或120。",
        "en": "For your safety, switch off the power or the gas at the main first, keep away "
        "from the appliance and do not use it again; if there is a fire or anyone is hurt, "
        "call the emergency services now.",
    },
    "status_title": {"zh": "工单 #{number}（{subject}）", "en": "Ticket #{number} ({subject})"},
    "status_state": {"zh": "状态：{state}", "en": "Status: {state}"},
    "status_new": {"zh": "已受理，正在为您安排客服", "en": "received, being assigned to an agent"},
    "status_open": {"zh": "处理中", "en": "in progress with our team"},
    "status_pending": {"zh": "等待您的回复", "en": "waiting for your reply"},
    "status_resolved": {
        "zh": "已解决（如问题仍在，直接回复即可）",
        "en": "resolved (reply here if it isn't fixed)",
    },
    "status_closed": {"zh": "已关闭", "en": "closed"},
    "status_need": {"zh": "需要您提供：{need}", "en": "What we need from you: {need}"},
    "status_assignee": {"zh": "负责客服：{name}", "en": "Handled by: {name}"},
    "status_unassigned": {"zh": "待分配", "en": "not assigned yet"},
    "status_due": {"zh": "预计完成：{due} 前", "en": "Expected by: {due}"},
    "status_update": {"zh": "最近更新（{when}）：{text}", "en": "Last update ({when}): {text}"},
    "status_unknown": {
        "zh": "在您的记录里没有找到工单 #{number}。请核对工单号，或发送“我的工单”查看您的工单。",
        "en": "I couldn't find ticket #{number} among yours. Please check the number, or send "
        '"my tickets" to see them.',
    },
    "status_choice": {
        "zh": "#{number} {subject}（{state}）",
        "en": "#{number} {subject} ({state})",
    },
    "status_pick": {
        "zh": "您有 {count} 张处理中的工单，请回复序号查看：",
        "en": "You have {count} open tickets; reply with a number to see one:",
    },
}


def say(key: str, language: str) -> str:
    """The text ``key`` in ``language`` (Chinese when the language is unknown)."""
    entry = TEXTS[key]
    return entry.get(language, entry["zh"])
