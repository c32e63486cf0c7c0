"""The built-in words of :mod:`intake.urgency`: general terms, not sentences.

``...`` is a short gap (4 characters in Chinese, 12 in English, never across a negation);
a trailing ``*`` is any letters. ``[triage] hazard_words`` and the like add to these.
"""

from __future__ import annotations

HAZARD_WORDS = (
    # electricity
    "漏电", "触电", "电击", "被电", "电到", "电了一下", "麻手", "摸...有电", "外壳带电",
    "水...有电", "短路", "电人", "电流感", "有电流", "电麻", "刺痛", "麻麻的", "电手", "电得",
    "电了我", "手麻", "发麻", "打手",
    # fire, smoke, heat
    "起火", "着火", "失火", "明火", "冒火", "冒...烟", "浓烟", "全是烟", "都是烟", "烟味", "火花",
    "火星", "打火花", "烧焦", "焦味", "焦糊", "糊味", "烧黑", "烧化", "烧着", "烧起来", "熔了",
    "熔化", "融化了", "自燃", "鼓包", "熏黑", "焦了", "烧穿", "烧毁", "火苗", "火光", "冒...火",
    "燃烧", "火灾", "黑烟", "白烟", "呛人", "把...烧了", "插座...烧", "插头...烧", "电线...烧",
    "线...烧", "插排...烧", "电源线...烧", "线...焦", "插座...焦", "插头...焦", "发烫", "烫手",
    "烫得", "着起来", "燃起来", "烧糊", "青烟", "呛鼻", "烧熔", "爆开", "嘶嘶", "差点出事",
    # explosions
    "爆炸", "炸了", "爆了", "炸裂", "炸开", "爆燃", "爆裂",
    # gas
    "燃气泄漏", "煤气泄漏", "燃气...漏", "煤气...漏", "天然气...漏", "漏气", "煤气味", "燃气味",
    "天然气味", "臭鸡蛋味", "一氧化碳", "中毒", "报警器响", "报警器一直响",
    # injuries
    "烫伤", "烧伤", "受伤", "出人命", "送医", "去医院", "进了医院",
    # English
    "smoke", "smoking", "fire", "on fire", "caught fire", "catch fire", "catches fire", "flames",
    "spark", "sparks", "sparking", "sparked", "electric shock", "shocked me", "got a shock",
    "gave me a shock", "got shocked", "electrocuted", "electrified", "tingle", "burning smell",
    "smell* burn*", "smell of burning", "burnt smell", "burned smell", "burning plastic",
    "is burning", "scorched", "melted", "melting", "exploded", "explosion", "explode*", "blew up",
    "burst into flames", "shattered", "gas leak*", "leak* gas", "gas...leak*", "smell gas",
    "smell* of gas", "gas smell", "carbon monoxide", "alarm went off", "alarm is going off",
    "swollen", "bulging", "overheat*", "short circuit*", "burned my", "burnt my", "burned her",
    "burned his", "burned a hole", "injured", "burn*...down", "zap*", "electric current",
    "electricity running", "feel the current", "live wire", "gas odo*r", "gas...odo*r", "fumes",
    "hissing", "singed", "charred", "to hospital", "to the hospital", "in hospital", "jolt",
    "alight", "ablaze", "blackened", "socket is hot", "plug is hot", "hot to the touch",
    "too hot to touch", "shorted", "a flash", "bang", "burn* rubber", "burn* wire*", "smoke*",
    "in flames", "flaming", "spark*", "melt*", "烫到", "水泡", "电伤", "伤到", "冒蓝光", "冒光",
    "橡胶味", "爆管", "水和电", "smells...of gas", "smell*...gas", "rubber smell", "loud pop",
    "blister*", "着了火", "起了火", "火烧", "电火花", "闪火花", "感电", "麻电", "一碰就麻",
    "有麻感", "焦臭", "焦煳", "烧融", "熔掉", "煤气泄露", "燃气泄露", "天然气泄露", "漏燃气",
    "漏煤气", "漏天然气", "燃气味道", "煤气味道", "爆掉", "炸掉", "崩裂", "很多烟", "一股烟",
    "流血", "砸伤", "砸到", "漏水...插座", "进水...插座", "电源...进水", "rotten egg*",
    "sulfur smell", "sulphur smell", "arcing", "electrical fire", "shocks me", "shocking me",
    "tingl*", "scorch*", "burn mark*", "black mark*", "burst", "water in the plug",
    "water...socket", "co alarm", "tipped over onto", "fell on", "cut my", "hurt", "bleeding",
    "smells like gas", "smelled gas", "烧得", "针扎", "刺麻", "头晕想吐", "头晕恶心", "头疼恶心",
    "头痛恶心", "鼓起来", "胀起来", "撑开了",
    # plastic parts of powered things melting or deforming from heat
    "充电座...化", "充电器...化", "充电头...化", "插座...化", "插头...化", "插排...化",
    "底座...化", "外壳...化", "电源...化", "烧变形", "烫变形", "热变形", "化掉", "熔掉了",
    "blue flash*", "flash* of light", "闪...蓝光", "蓝色的火花", "co detector", "co monitor",
    "gas detector", "gas alarm", "冒白气", "冒...白气",
    # a flame where none should be; a burn that blisters or peels
    "flame* coming", "flame* out of", "flame* under", "flame* behind", "flame* shooting",
    "small flame*", "烫起泡", "烫出泡", "烫起了泡", "烫出了泡", "烫起水泡", "烫脱皮", "烫掉皮",
    "烧起泡", "起了水泡",
)  # fmt: skip
COMPLAINT_WORDS = (
    "投诉", "差评", "曝光", "12315", "12345", "消协", "消费者协会", "工商", "市场监管", "退一赔三",
    "假一赔十", "虚假宣传", "欺诈", "诈骗", "举报", "维权", "要报警", "去报警", "就报警",
    "已经报警", "起诉", "告你们", "法院", "找...律师", "请...律师", "律师函", "电视台",
    "找...媒体", "记者", "黑猫", "赔偿", "索赔", "赔钱", "315热线", "打315", "3·15", "315晚会",
    "小红书...曝光", "讨个说法", "讨说法", "升级处理", "发到网上", "发网上", "评评理", "监管部门",
    "主管部门", "complain*", "report you", "reporting you", "report this", "reporting this",
    "reporting it", "better business bureau", "bbb", "trading standards", "consumer protection",
    "ombudsman", "small claims", "court", "sue", "suing", "legal action", "my lawyer",
    "get a lawyer", "hire a lawyer", "contact a lawyer", "call a lawyer", "chargeback",
    "dispute the charge", "one-star", "one star", "1-star", "1 star", "bad review",
    "negative review", "false advertising", "scam", "fraud", "compensation", "post*...twitter",
    "post*...facebook", "post*...social media", "the press", "the media", "escalat* this",
    "escalat* it", "solicitor", "attorney", "reverse the payment", "reverse the charge",
    "dispute*", "credit card company", "formal complaint", "trustpilot", "yelp",
    "write about this", "tell everyone", "warn others", "tak* this further", "review warning",
    "warning everyone", "发到抖音", "发抖音", "让大家都看看", "让大家看看",
    # asking for someone above the agent
    "找...领导", "找...经理", "找...主管", "找...负责人", "叫...领导", "叫...经理", "让...领导",
    "your manager", "a manager", "your supervisor", "a supervisor", "someone senior", "仲裁",
    "诉讼", "法庭", "立案", "打官司", "消费保", "聚投诉", "消委会", "消保委", "质监局", "市场监督",
    "监督管理局", "拉横幅", "避雷", "交易纠纷", "平台介入", "申请介入", "客服介入", "小二介入",
    "letter before action", "letter before claim", "letter of claim", "pre-action",
    "no win no fee", "lawsuit", "class action", "legal department", "legal team", "watchdog",
    "paypal dispute", "claim against you", "regulator",
    # through a lawyer, a card dispute, a tribunal
    "通过律师", "让律师", "交给律师", "委托律师", "律师...谈", "律师...联系", "through my lawyer",
    "through my solicitor", "via my lawyer", "via my solicitor", "my solicitor", "争议交易",
    "交易争议", "发起...争议", "申请拒付", "发起拒付", "tribunal",
)  # fmt: skip
# One of these is anger enough.
ANGER_STRONG = (
    "气死", "忍无可忍", "受够了", "坑人", "坑爹", "骗子", "骗人", "什么破", "破服务", "破东西",
    "混蛋", "恶心", "搞什么", "太过分", "欺人太甚", "还想不想干", "靠点谱", "踢皮球", "推来推去",
    "敷衍", "耍我", "糊弄", "态度恶劣", "态度太差", "态度差", "什么态度", "生气", "气人", "愤怒",
    "离谱", "无语", "垃圾产品", "垃圾售后", "垃圾服务", "垃圾公司", "垃圾东西", "垃圾质量",
    "垃圾客服", "垃圾品牌", "垃圾商家", "垃圾玩意", "furious", "fed up", "sick of",
    "sick and tired", "disgrace*", "disgusting", "pathetic", "useless", "outrage*", "unacceptable",
    "ridiculous", "worst...ever", "a joke", "rip-off", "ripoff", "what the hell", "wtf",
    "are you kidding", "are you serious", "you people", "incompetent", "angry", "livid",
    "appalling", "shame on you", "stop telling me", "服了", "干什么吃的", "吃干饭", "会不会修",
    "什么玩意", "火大", "恼火", "窝火", "崩溃", "抓狂", "烦死", "烦透", "气炸", "气疯", "黑心",
    "无良", "奸商", "不要脸", "丢人", "妈的", "他妈", "卧槽", "有病", "脑残", "废物", "扯皮",
    "扯淡", "胡扯", "忽悠", "不像话", "荒唐", "岂有此理", "欺负人", "没良心", "爱答不理", "不耐烦",
    "推诿", "推脱", "一拖再拖", "答非所问", "有什么用", "有啥用", "听不懂", "说了多少遍", "不尊重",
    "态度...差", "火冒三丈", "太气", "真气", "气得", "心寒", "寒心", "欺骗", "不负责",
    "有没有良心", "睁眼说瞎话", "瞎说", "就是这么做", "fuming", "pissed", "i'm mad", "appalled",
    "horrendous", "atrocious", "no respect", "disrespect*", "insult*", "not good enough",
    "how dare", "shocking", "beyond frustrated", "losing my patience", "lost my patience",
    "nonsense", "rubbish", "garbage", "crap", "bullshit", "damn", "for god's sake", "unbelievable",
    "insane", "clown*", "idiot*", "stupid", "shameful", "shocking service", "waste of time",
    "waste of money", "never again", "had enough", "enough is enough", "talking to a robot",
    "same answer", "how many times", "开什么玩笑", "疯了", "不靠谱", "放我鸽子", "放鸽子",
    "无数次", "人干的事", "故意的", "shambles", "can't believe", "cannot believe", "disaster",
    "nobody seems to care", "no one cares", "don't care", "chasing this",
)  # fmt: skip
# Weaker signs: two of them (or one and a row of exclamation marks, a repetition, a long
# wait) make anger.
ANGER_WEAK = (
    "太差", "差劲", "失望", "到底", "什么意思", "什么服务", "谁负责", "没人管", "没人理", "第三次",
    "第四次", "第五次", "多少次", "又", "一直", "别再", "凭什么", "太慢", "terrible", "awful",
    "worst", "disappointed", "annoyed", "frustrat*", "again", "third time", "fourth time", "still",
    "nobody", "no one", "horrible", "效率", "还要等", "多久了", "怎么回事", "怎么搞的", "能不能快",
    "seriously", "到现在", "整整", "没人联系", "没人回", "没有人", "都没有", "honestly",
    "the worst", "badly", "呵呵",
)  # fmt: skip
# Product and feature words that contain a hazard term but report nothing.
CALM_PHRASES = (
    "漏电保护", "漏电开关", "漏电断路", "防漏电", "防触电", "防火", "防爆", "灭火器", "消防",
    "烟雾报警", "烟感", "过热保护", "防干烧", "smoke detector*", "smoke alarm*", "smoke gr*y",
    "smoke-free", "fire stick", "fire tv", "kindle fire", "fire up", "fire extinguisher*",
    "fireproof", "fire-resistant", "fire safety", "fire alarm*", "burning hot", "shatterproof",
    "spark plug*", "fire-rated", "fire rated", "sparkling", "smokey", "flame failure",
    "garbage disposal", "garbage disposer", "空气炸锅", "火锅", "打火机", "火力", "火候", "爆款",
    "扫地机器人", "擦窗机器人", "robot vacuum*", "robot hoover*", "robot mower*", "smoker*",
    "smokehouse", "发烧", "爆单", "火爆", "overheat protection", "overheating protection",
    "flame effect", "火焰效果",

)  # fmt: skip
# Products and heaters named with fire ("electric fire" is a British heater) and slang praise:
# calm phrases too, read only when the message says "fire" (most do not).
FIRE_NAMES = (
    "electric fire*", "gas fire*", "fire pit*", "firepit*", "fire bowl*", "fire table*",
    "fire glass", "fire guard*", "fireguard*", "fire screen*", "fire surround*", "fire basket*",
    "fire grate*", "fire starter*", "fire blanket*", "fire door*", "deal is fire", "deal's fire",
    "deals are fire", "price is fire", "prices are fire", "that's fire", "straight fire",
)  # fmt: skip
# Compound hazards: a part that carries power and a state that makes it dangerous, in one
# clause or the one before ("水喷到插排上", "the cable is frayed, I can see copper").
LIVE_PARTS = (
    "插座", "插排", "插线板", "排插", "插头", "电源线", "电线", "电源适配器", "电路", "电闸",
    "配电箱", "充电器", "充电头", "适配器", "电池", "socket*", "outlet*", "extension lead*",
    "extension cord*", "extension cable*", "power strip*", "power lead*", "power cord*",
    "power cable*", "power supply", "cable*", "cord", "cords", "wire", "wires", "wiring",
    "electrics", "fuse box", "charger*", "adapter*", "battery", "batteries", "spur", "fused spur",
    "fuse*", "consumer unit", "light fitting*", "light fixture*", "ceiling rose", "电表", "电箱",
    "灯座", "灯口", "extension", "extensions",
)  # fmt: skip
WET_STATES = (
    "进水", "滴水", "渗水", "漏水", "溅水", "浸水", "泡水", "积水", "有水", "水滴", "滴在", "滴到",
    "渗到", "流到", "溅到", "喷到", "淋到", "泡在", "湿了", "潮湿", "一摊水", "water", "wet",
    "damp", "drip*", "soak*", "splash*", "flooded", "puddle", "leak*", "漏到", "流进", "漏进",
)  # fmt: skip
EXPOSED_STATES = (
    "露出", "裸露", "露铜", "铜丝", "铜线", "破皮", "外皮破", "皮破了", "绝缘皮", "frayed",
    "exposed", "bare", "copper", "insulation",
)  # fmt: skip
HOT_STATES = (
    "很烫", "好烫", "滚烫", "烧红", "发红", "发黑", "变色", "变形", "red hot", "red-hot", "glow*",
    "discolo*r*", "warped", "deformed", "getting hot", "gets hot", "very hot", "really hot",
    "so hot", "gone brown", "turned brown", "going brown", "crispy", "brittle", "发黄", "变黄",
    "熏黄", "发焦", "焦焦", "褪色", "软了", "发软", "gone soft", "gone sticky", "发粘",
)  # fmt: skip

# More compound hazards: a thing and what happened to it or to someone, each general on its
# own ("电池" and "鼓" are everyday words; together they are a swollen battery). Same reading as
# the live parts above: one clause or the clause before, no negation, no question about it.
SWELLING_THINGS = (
    "电池", "电池包", "电瓶", "电芯", "锂电", "充电宝", "移动电源", "后盖", "手机", "平板",
    "笔记本", "battery", "batteries", "power bank*", "powerbank*", "cell", "cells", "back cover",
    "phone", "laptop", "tablet", "vape",
)  # fmt: skip
SWELLING_STATES = (
    "鼓", "胀", "膨胀", "变厚", "顶起", "撑开", "撑起", "凸起", "puff*", "swell*", "swollen",
    "bloat*", "bulg*", "expand*", "ballooned", "pillow*",
)  # fmt: skip
# Something heavy on a wall or ceiling, and it coming down.
MOUNTED_THINGS = (
    "支架", "挂架", "吊架", "挂板", "膨胀螺丝", "膨胀螺栓", "外机", "室外机", "挂机", "油烟机",
    "烟机", "热水器", "壁挂炉", "电视", "吊扇", "浴霸", "吸顶灯", "bracket*", "mount", "mounts",
    "mounting", "wall plate", "fixings", "wall plug*", "outdoor unit", "aircon unit",
    "air con unit", "range hood", "cooker hood", "extractor", "boiler", "water heater", "tv",
    "television", "ceiling fan", "cylinder", "tank", "bolt", "bolts", "挂钩", "螺栓",
)  # fmt: skip
FALLING_STATES = (
    "掉下来", "掉了下来", "掉下去", "掉落", "坠落", "下坠", "往下坠", "往下掉", "要掉", "快掉",
    "摇摇欲坠", "砸下来", "砸在", "砸到", "砸中", "脱落", "松动", "松脱", "松了", "歪了", "歪着",
    "倾斜", "悬空", "悬着", "挂不住", "裂开", "came away", "come away", "coming away",
    "came loose", "come loose", "coming loose", "came off the wall", "coming off the wall",
    "pulled out of the wall", "fell", "fallen", "falling", "hanging", "sagging", "tilting",
    "leaning", "came down", "crashed down", "gave way", "giving way", "ripped out", "tilted",
    "snapped", "pulled...out", "pulling...out", "coming out of the wall", "断了", "斜着",
)  # fmt: skip
# An injury: what cut, burnt or crushed, and the part of someone it did it to.
INJURIES = (
    "割破", "割伤", "割到", "割了", "划破", "划伤", "划到", "划开", "划了", "口子", "切到", "切破",
    "切伤", "夹伤", "夹到", "夹住", "夹了", "烫红", "烫起", "烫出", "烫破", "烫了", "扎破", "扎到",
    "戳伤", "缝针", "缝了", "出血", "流血", "起泡", "起了泡", "红肿", "擦伤", "碰伤", "撞伤",
    "砸伤", "咬到", "绞到", "卷进", "cut", "cuts", "sliced", "slashed", "gashed", "nicked",
    "burned", "burnt", "scalded", "scalding", "trapped", "crushed", "pinched", "stabbed", "caught",
    "bleeding", "blister*", "stitches", "gash", "wound", "夹进", "卷进去", "淤青", "青紫", "肿了",
    "又青又肿", "purple", "gone purple", "bruised", "bruising", "snapped shut on", "shut on",
    "closed on", "紫了", "发紫", "青了", "肿得", "压到", "压在", "压伤", "磕到", "磕破", "磕伤",
)  # fmt: skip
BODY_PARTS = (
    "手指", "手掌", "手背", "手臂", "手腕", "手心", "手上", "手都", "手被", "手给", "指头", "拇指",
    "指甲", "脚", "腿", "胳膊", "脸", "眼睛", "后背", "背上", "背部", "头上", "额头", "嘴", "皮肤",
    "身上", "肚子", "finger*", "thumb*", "hand", "hands", "arm", "arms", "leg", "legs", "foot",
    "feet", "toe", "toes", "face", "eye", "eyes", "skin", "my back", "his back", "her back",
    "wrist*", "palm*", "knuckle*", "forehead", "lip*", "chest", "neck", "knee*", "腰", "头",
    "肩膀", "膝盖", "小腿", "大腿", "head", "shoulder*", "ankle*", "shin*", "hip", "ribs",
)  # fmt: skip
# A child and something small going into their mouth.
SWALLOWING = (
    "吞", "咽", "吃下去", "吃进去", "误食", "塞进嘴", "塞嘴里", "放进嘴", "含在嘴", "卡在喉咙",
    "swallow*", "choking", "choked", "in his mouth", "in her mouth", "in their mouth",
)  # fmt: skip
CHILDREN = (
    "孩子", "小孩", "宝宝", "宝贝", "儿子", "女儿", "娃", "婴儿", "幼儿", "小朋友", "孙子", "孙女",
    "外孙", "toddler*", "baby", "child", "children", "kid", "kids", "son", "daughter", "grandson",
    "granddaughter", "little one", "infant",
)  # fmt: skip
# Nearly harmed: "差点砸到人", "nearly hit my son".
NEAR_MISSES = ("差点", "差一点", "险些", "nearly", "almost")
HARMS = (
    "砸到", "砸中", "撞到", "撞倒", "伤到", "烫到", "电到", "夹到", "烧了", "烧起来", "着火",
    "起火", "炸", "hit", "fell on", "burn*", "set fire", "caught fire", "electrocut*", "hurt",
    "injur*", "killed", "crushed", "landed on",
)  # fmt: skip
# A safety device that did not act: masked product words (熄火保护, "flame failure") are
# read here from the unmasked text.
SAFETY_DEVICES = (
    "熄火保护", "漏电保护", "防干烧", "过热保护", "倾倒断电", "倾倒保护", "安全阀", "泄压阀",
    "限温器", "温控", "自动断电", "断电保护", "flame failure", "tip-over", "tip over switch",
    "thermal cut*", "overheat protection", "safety valve", "pressure relief", "cut-out", "cutout",
    "auto shut*", "automatic shut*", "rcd",
)  # fmt: skip
DEVICE_FAILURES = (
    "不起作用", "失灵", "不管用", "没用", "坏了", "失效", "不工作", "没反应", "没起作用", "没动作",
    "没跳", "不跳", "doesn't work", "didn't work", "did not work", "failed", "not working",
    "didn't trip", "doesn't trip", "did not trip", "didn't kick in", "never kicked in",
    "didn't cut", "didn't switch off", "didn't turn off",
)  # fmt: skip
TIPPED = ("倒了", "倾倒", "翻倒", "倒在", "tipped over", "fell over", "knocked over", "toppled")
STILL_ON = (
    "没断电", "没有断电", "不断电", "没关", "还在加热", "还在工作", "还在烧", "一直加热",
    "still on", "still heating", "still running", "kept going", "kept heating", "stayed on",
    "didn't switch off", "didn't turn off", "did not switch off",
)  # fmt: skip
FLAME_OUT = ("火灭", "熄火了", "灭了", "火熄", "flame went out", "flame goes out", "went out")
GAS_FLOWING = (
    "出气", "冒气", "漏气", "气味", "gas still", "gas coming", "still hissing", "gas was still",
    "gas is still",
)  # fmt: skip

# More pairs (after held-out 8): a person hurt, said passively ("my son was burned by your
# kettle"); touching something and feeling it ("碰到...麻", "touch it and it tingles").
PEOPLE = (
    *CHILDREN, "我", "我爸", "我妈", "老人", "老公", "老婆", "爱人", "家人", "i", "i've",
    "my husband", "my wife", "my partner", "my dad", "my mum", "my mom", "he", "she", "we",
)  # fmt: skip
HURT_PASSIVE = (
    "被烫", "被烧", "被电", "被割", "被划", "被夹", "被砸", "被扎", "was burned", "was burnt",
    "got burned", "got burnt", "was scalded", "got scalded", "was cut", "got cut", "was hurt",
    "got hurt", "was injured", "got injured", "was shocked", "got shocked", "been burned",
    "been burnt", "been scalded", "been hurt", "been injured",
)  # fmt: skip
TOUCHING = ("碰到", "摸到", "接触", "碰", "摸", "touch*", "brush*", "lean* on")
SENSATIONS = (
    "麻", "刺刺", "刺痛", "过电", "电流", "电了", "电到", "tingl*", "buzz*", "zap*", "shock*",
    "jolt*",
)  # fmt: skip
# Heavy furniture and it coming over onto someone: "柜子往前倒，压到孩子", "pulled the chest
# of drawers over on himself". Not loose or crooked alone (a wobbly drawer is not a hazard).
FURNITURE = (
    "柜", "书架", "架子", "置物架", "搁板", "床", "上下铺", "桌", "镜子", "dresser*", "drawers",
    "wardrobe*", "bookcase*", "bookshel*", "cabinet*", "shelf", "shelves", "shelving", "unit",
    "bunk*", "bed", "table", "desk", "mirror", "cot", "crib",
)  # fmt: skip
TOPPLING = (
    "往前倒", "倒下来", "倒了下来", "翻倒", "倾倒", "砸下来", "压到", "压在", "砸到", "塌了",
    "塌下来", "tipped", "toppled", "fell on", "came down on", "collapsed", "gave way",
    "pulled...over", "fell through", "over on him*", "over on her*", "over on my", "over onto",
    "on top of him", "on top of her", "on top of my",
    # leaning forward, off the wall: about to come over
    "前倾", "往前倾", "向前倾", "往外倾", "leaning forward*", "tilting forward*",
    "tipping forward*", "pulling away from the wall", "coming away from the wall",
)  # fmt: skip
# A strange sound and something coming out: "噗噗响，冒白气", "popping noises and white vapour".
SOUNDS = (
    "噼啪", "噼里啪啦", "啪", "砰", "噗", "滋滋", "吱吱", "嗞", "嘶嘶", "pop*", "crackl*", "fizz*",
    "hiss*", "bang*", "sizzl*",
)  # fmt: skip
EMISSIONS = (
    "冒烟", "冒...烟", "白烟", "黑烟", "青烟", "烟雾", "出烟", "白气", "气体", "刺鼻", "怪味",
    "焦味", "vapou*r", "fumes", "smoke", "acrid", "odo*r", "chemical smell", "burning", "flame*",
)  # fmt: skip
# A gas appliance and a smell: "燃气灶一直有味道", "the gas boiler smells".
GAS_THINGS = (
    "燃气", "煤气", "天然气", "液化气", "燃气灶", "煤气灶", "燃气热水器", "壁挂炉", "燃气管",
    "煤气罐", "gas hob", "gas cooker", "gas stove", "gas oven", "gas boiler", "gas heater",
    "gas fire", "gas pipe", "gas meter", "gas bottle", "gas cylinder", "gas grill", "gas bbq",
)  # fmt: skip
SMELLS = (
    "味道", "气味", "异味", "有味", "臭味", "怪味", "smell*", "odo*r", "whiff",
)  # fmt: skip
