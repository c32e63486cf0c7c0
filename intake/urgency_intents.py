"""The built-in words of :mod:`intake.urgency` for what a customer says they will do or feel:
complaints said as acts on a target (publish it, dispute the payment, go to a regulator, a
court or the media, take it above the agent) and quiet anger said as a shape (a promise
broken, time lost, sarcasm, resignation, contacting again and again). Each list alone is
everyday; :mod:`intake.urgency_rules` reads them in pairs or with a threat.

Same notation as :mod:`intake.urgency_words`: ``...`` a short gap, ``*`` any letters.
"""

from __future__ import annotations

# Complaints said as what the customer will do: publish it, dispute the payment, go to law,
# take it above the agent. The target alone is everyday ("抖音", "bank", "manager"); the act
# and the target together, with intent or a threat, are a complaint.
PUBLISHING = (
    "发到", "发在", "发个", "发上", "发视频", "发帖", "发文", "写", "挂到", "挂在", "晒", "曝光",
    "讲讲", "说说", "说道", "拍视频", "录视频", "post*", "write*", "wrote", "share", "sharing",
    "put it", "put this", "tag*", "tweet*", "review*", "vlog*", "video*", "film*", "tell",
    "telling", "warn*", "发一遍", "发出来", "发出去", "全发", "都发", "公开", "挂出来", "揭露",
    "expose*", "name and shame", "publicis*", "go public", "going public", "posting",
)  # fmt: skip
PLATFORMS = (
    "抖音", "快手", "微博", "小红书", "朋友圈", "知乎", "头条", "网上", "论坛", "贴吧", "b站",
    "视频号", "公众号", "大众点评", "黑猫", "群里", "业主群", "报纸", "twitter", "x.com",
    "facebook", "tiktok", "instagram", "reddit", "youtube", "social media", "online",
    "the internet", "forum*", "google", "trustpilot", "mumsnet", "linkedin", "local group",
    "everyone i know", "京东", "淘宝", "天猫", "拼多多", "电商平台", "amazon", "ebay", "argos",
    "every site", "everywhere", "微信群", "直播间", "评论区", "各大平台", "全网", "所有平台",
    "网络上", "news", "every platform", "every review site", "review site*", "the news",
)  # fmt: skip
PAYERS = (
    "向银行", "找银行", "联系银行", "银行那边", "信用卡那边", "信用卡中心", "发卡行", "bank",
    "card company", "card issuer", "credit card", "paypal", "amex", "visa", "mastercard", "klarna",
    "card provider", "credit card provider", "buyer protection", "信用卡公司", "发卡银行",
    "信用卡银行", "找...银行", "让银行", "去银行", "the bank", "my bank", "credit card company",
)  # fmt: skip
DISPUTING = (
    "拒付", "止付", "撤销交易", "争议", "申诉", "退款", "追回", "dispute*", "disputing",
    "chargeback", "charge back", "reverse", "claim it back", "claim back", "stop the payment",
    "raise a claim", "raised a claim", "冻结", "claim", "a case", "section 75", "纠纷", "介入",
    "claw*", "recover", "get my money back", "money back",
)  # fmt: skip
ESCALATING = (
    "升级", "转给", "转交", "交给", "反映给", "反映到", "上报", "找", "叫", "换", "escalat*",
    "pass* this", "put me through", "speak to", "speak with", "talk to", "talk with",
    "transfer me", "writing to", "write to", "contact*", "转到", "call me", "ring me",
    "contact me", "get back to me", "联系我", "给我打电话", "跟我谈", "和我谈", "跟我联系",
    "来跟我",
)  # fmt: skip
SUPERIORS = (
    "主管", "上级", "领导", "经理", "负责人", "老板", "管理层", "总部", "高层", "manager*",
    "supervisor*", "someone senior", "more senior", "boss", "head office", "ceo", "director*",
    "higher up", "complaints department", "complaints team", "management", "总监", "总经理",
    "部门经理", "投诉部门", "higher up", "head office", "complaints manager", "能做主", "做主的",
    "说了算", "管事的", "负责的人", "head of", "person in charge", "someone in charge",
    "someone who can", "somebody who can",
)  # fmt: skip
# Said with intent, a threat or as done: "我会", "不处理的话", "I've".
THREATS = (
    "我要", "我会", "我就", "我去", "我将", "准备", "打算", "要去", "就去", "等着", "否则", "不然",
    "的话", "再不", "已经", "i will", "i'll", "i'm going to", "i am going to", "going to", "gonna",
    "about to", "planning to", "plan to", "intend*", "unless", "or else", "otherwise", "i've",
    "i have", "i shall", "i want", "i'd like", "please", "i'm", "i am", "今晚", "今天", "明天",
    "马上", "立刻", "大不了", "直接", "tonight", "today", "tomorrow", "this week", "right now",
    "first thing", "already",
)  # fmt: skip
COMPLAINT_PHRASES = (
    "拒付", "法律途径", "法律手段", "法律程序", "打官司", "法律责任", "legal route",
    "legal proceedings", "take you to court", "see you in court", "formal letter", "grievance",
    "打一星", "打1星", "一星差评", "给你们一星", "打零分",
)  # fmt: skip

# Quiet anger: no strong word, but a known shape. Each pair is one sign of anger enough.
# - a promise made and broken: "说好的今天上门，人呢", "you promised a call and nothing"
PROMISES = (
    "说好", "答应", "承诺", "约好", "约的", "说今天", "说明天", "说上午", "说下午", "promised",
    "you said", "you told me", "i was told", "we were told", "assured", "guaranteed",
)  # fmt: skip
BROKEN = (
    "人呢", "没来", "没人", "没有人", "没上门", "没联系", "没消息", "没动静", "影子", "到现在还",
    "一直没", "结果又", "结果还", "never", "nobody", "no one", "nothing", "no call", "no-show",
    "no show", "still nothing", "still waiting", "still no", "didn't come", "didn't call",
    "didn't turn up", "didn't show",
)  # fmt: skip
# - time or a day lost to the company: "请假在家等，没人来", "two hours on hold"
LOSSES = (
    "浪费", "耽误", "白等", "白跑", "白白", "请了...假", "请假", "wasted", "waste of", "wasting",
    "took a day off", "taken a day off", "took the day off", "took time off", "day off work",
    "days off work", "on hold", "of my life",
)  # fmt: skip
LOSS_CONTEXT = (
    "时间", "一天", "半天", "上班", "工作", "等", "师傅", "电话", "没", "time", "hours", "nobody",
    "no one", "nothing", "waiting", "engineer", "technician",
)  # fmt: skip
# - a judgement of the company's character: "你们有没有诚信", "良心不会痛吗"
YOU_ALL = ("你们", "你家", "贵公司", "商家", "you", "your", "you lot", "you guys")
CHARACTER = (
    "良心", "诚信", "信誉", "素质", "人品", "说话算话", "说话算数", "言而无信", "出尔反尔",
    "honesty", "integrity", "decency", "conscience", "word is worth",
)  # fmt: skip
# - canned replies named as such: "又是模板回复", "just copy-paste"
CANNED = (
    "复读机", "机器人", "自动回复", "模板", "复制粘贴", "套话", "官话", "copy and paste",
    "copy-paste", "copy paste", "canned", "scripted", "script", "automated", "same reply",
    "same response", "same link", "same message",
)  # fmt: skip
CANNED_CONTEXT = (
    "别", "不要", "又是", "还是", "只会", "就会", "都是", "是不是", "一样", "stop", "again",
    "same", "useless", "just", "or is it", "is it",
)  # fmt: skip
# One of these alone is quiet anger, a shape rather than a word: regret, sarcasm, resignation
# said to the company, a customer lost.
ANGER_SHAPES = (
    "后悔", "再也不买", "再也不会买", "再也不会选", "最后一次买", "随便你们", "regret*",
    "never buying", "last time i buy", "lost a customer", "lost faith", "lost all faith",
    "lost my trust", "is this how you treat", "give me a break", "farce", "laughable", "wits' end",
    "wit's end", "tether", "别跟我说", "别再跟我说", "不想再听", "不要再跟我", "少跟我",
    "别拿...搪塞", "搪塞", "是不是觉得我", "觉得我好", "当我是", "把我当", "好欺负", "不认账",
    "speechless", "sick to death", "don't tell me", "save the apology", "save your apolog*",
    "spare me", "stop saying", "don't want to hear", "think i'm stupid", "think i'm an idiot",
    "think i'm a fool", "take me for a fool", "take me for an idiot", "take me for a mug",
    "taken for granted", "treat me like", "反正你们", "反正也不会", "指望不上", "指望你们",
    "算我倒霉", "自认倒霉", "看走眼", "瞎了眼", "信了你们", "what's the point", "why do i bother",
    "why did i bother", "more fool me", "should have known", "i give up", "whatever you say",
    "最后一遍", "耐着性子", "别怪我", "好话说尽", "忍了很久", "忍你们", "for the last time",
    "last chance", "final chance", "stay polite", "staying polite", "stay calm", "remain civil",
    "keep my temper", "trying very hard to", "bite my tongue", "biting my tongue", "长点心",
    "上点心", "走点心", "用点心", "见识到了", "领教", "一言难尽", "无力吐槽", "醉了", "stunned",
    "astonished", "gobsmacked", "flabbergasted", "dumbfounded", "beggars belief", "not impressed",
    "unimpressed", "nightmare", "噩梦", "what are you paid", "what do you actually do",
    "point of you", "要你们何用", "要你们有什么用", "要你们干嘛", "你们是干嘛的", "有没有人在干活",
    "有人管吗", "有没有人管", "start from scratch", "start all over", "repeat myself",
    "explain everything again", "explain it all again", "重新说一遍", "从头说", "从头再",
    "又要重新", "每次都要", "every time i call", "every time i ring", "every time i contact",
    "each time i call", "every single time", "had...chances", "给了...机会", "给过你们...机会",
    "保持礼貌", "尽量客气", "克制住",
)  # fmt: skip


# Reporting to an authority or the media with a threat ("打市长热线", "contact my local
# newspaper"); patience run out ("我的耐心用完了", "I've been more than patient").
CONTACTING = (
    "打", "找", "联系", "反映到", "反映给", "投诉到", "举报到", "告到", "去", "提交到", "写信给",
    "contact*", "report* to", "report* it to", "report* this to", "writ* to", "go to", "going to",
    "complain* to", "take this to", "taking this to", "raise this with", "alert*", "call*",
    "ring*", "发给", "曝给", "寄给", "提交", "上报", "报给", "file*", "filed", "submit*", "lodg*",
    "report* with", "raising", "raise* this with", "raise* it with", "in touch with",
    "been in touch", "spoken to", "speaking to", "went to", "take it to", "taking it to",
    "pass* this to", "send* this to", "forward* this to", "report*...to", "report*...with",
    "escalat*...to",
)  # fmt: skip
AUTHORITIES = (
    "热线", "委员会", "协会", "监管局", "管理局", "政府", "市长", "法院", "报社", "电视台", "媒体",
    "记者", "newspaper", "paper", "papers", "press", "radio", "bbc", "watchdog", "regulator",
    "council", "authorit*", "agency", "commission", "cpsc", "ftc", "attorney general", "my mp",
    "citizens advice", "consumer group", "which?", "新闻", "栏目", "节目", "报纸", "监督", "质监",
    "工商局", "消委会", "仲裁委", "人民法院", "律师", "reporter*", "journalist*", "programme",
    "program", "news", "consumer rights", "trading standards", "product safety", "office for",
    "office of", "department of", "ombudsman", "lawyer*", "solicitor*", "court",
)  # fmt: skip
PATIENCE = ("耐心", "patient", "patience")
PATIENCE_GONE = (
    "用完", "没了", "耗尽", "有限", "够了", "到头", "more than", "been", "lost", "run out",
    "ran out", "running out", "wearing thin", "tell me to", "ask me to", "asking me to",
)  # fmt: skip
# Thanks or praise said to mean the opposite, read even when the message thanks or praises
# (which otherwise silences the anger shapes): "thanks for nothing", "what am I paying you for".
SARCASM = (
    "for nothing", "for absolutely nothing", "thanks for wasting", "thank you for wasting",
    "paying you for", "我谢谢你", "谢谢你们啊",
)  # fmt: skip
# Praise that is ironic only beside a grievance ("Oh great, another week", "你们可真行，等了一个
# 月"); "Oh great, it came early" is praise.
IRONY = (
    "just wow", "oh great", "oh brilliant", "oh wonderful", "oh lovely", "oh fantastic",
    "oh perfect", "well done you", "slow clap", "i'd love to know", "i would love to know",
    "真行啊", "真棒啊", "可真行", "真是好样的", "太棒了呢",
)  # fmt: skip
