"""A generated bilingual set of resolved tickets in six categories, for the classifier tests
(issue 13): each ticket joins a few phrases of its category with neutral filler, in Chinese or
English, so no two are the same and the held-out ones are new sentences."""

import random

from chat.tests.factories import CustomerFactory
from tickets.models import Category, Ticket, TicketStatus

PHRASES: dict[str, dict[str, list[str]]] = {
    "财务问题": {
        "zh": ["我要开发票", "发票抬头写错了", "报销需要增值税专用发票", "电子发票没有收到",
               "能不能开公司抬头的发票", "发票税号填错了要重开", "报销单据丢了怎么办",
               "付款后没有收到收据", "对公转账怎么付款", "发票金额和订单不一致"],
        "en": ["I need an invoice for my order", "the invoice has the wrong company name",
               "please send a VAT invoice for reimbursement", "I never received the receipt",
               "can you reissue the invoice with our tax number",
               "billing address on the invoice is wrong", "how do I pay by bank transfer",
               "expense claim needs a receipt"],
    },
    "物流配送": {
        "zh": ["快递三天了还没到", "物流信息一直不更新", "包裹显示已签收但我没收到",
               "能不能改收货地址", "什么时候发货", "快递员态度不好", "配送能不能送到楼上",
               "顺丰还是中通发货", "运单号查不到"],
        "en": ["my parcel has not arrived yet", "the tracking number shows nothing",
               "package marked delivered but not received", "can I change the shipping address",
               "when will my order ship", "the courier left it at the wrong door",
               "delivery is late by a week", "which carrier do you ship with"],
    },
    "售后维修": {
        "zh": ["耳机左边没有声音", "手机屏幕碎了能修吗", "充电器坏了保修吗", "机器开不了机",
               "维修要寄到哪里", "保修期还有多久", "换货需要什么手续", "电池鼓包了",
               "返修后还是有问题"],
        "en": ["the headphones stopped working", "the screen cracked can you repair it",
               "is the charger covered by warranty", "the device will not turn on",
               "where do I send it for repair", "battery is swollen", "I want a replacement unit",
               "still broken after the repair"],
    },
    "账户登录": {
        "zh": ["登录不上去", "忘记密码了怎么找回", "收不到短信验证码", "账号被锁定了",
               "怎么修改绑定手机号", "账号被盗了", "注销账号怎么操作", "两步验证怎么关闭",
               "微信登录提示错误"],
        "en": ["I cannot log in to my account", "forgot my password how to reset",
               "the verification code never arrives", "my account is locked",
               "how do I change the phone number on my account", "someone hacked my account",
               "please delete my account", "two factor login keeps failing"],
    },
    "商品咨询": {
        "zh": ["这款有没有黑色", "尺码怎么选", "这个型号和上一代有什么区别", "有现货吗",
               "材质是纯棉的吗", "适合几岁的孩子用", "支持无线充电吗", "能不能便宜一点",
               "什么时候有优惠活动"],
        "en": ["does this come in black", "which size should I choose",
               "what is the difference from the previous model", "is it in stock",
               "is the fabric cotton", "does it support wireless charging",
               "is there a discount coming", "what are the dimensions of the product"],
    },
    "会员积分": {
        "zh": ["积分怎么兑换", "会员等级怎么升级", "积分过期了能恢复吗", "会员折扣没生效",
               "生日礼包怎么领取", "积分少了", "会员卡怎么续费", "优惠券用不了"],
        "en": ["how do I redeem my points", "how to upgrade my membership level",
               "my points expired can you restore them", "member discount was not applied",
               "where is my birthday reward", "points are missing from my account",
               "how to renew the membership", "the coupon does not work"],
    },
}  # fmt: skip

FILLER = {
    "zh": ["你好", "麻烦帮我看一下", "谢谢", "订单号 A{n}", "请尽快回复", "在吗", ""],
    "en": ["Hello", "please help", "thanks", "order A{n}", "let me know", "hi there", ""],
}


def ticket_text(category: str, rng: random.Random, n: int) -> tuple[str, str]:
    """(subject, description) of one generated ticket."""
    language = rng.choice(["zh", "en"])
    phrases = PHRASES[category][language]
    main = rng.sample(phrases, 2)
    filler = [rng.choice(FILLER[language]).format(n=n) for _ in range(2)]
    glue = "，" if language == "zh" else ". "
    body = glue.join(part for part in [filler[0], *main, filler[1]] if part)
    return main[0], body


def samples(per_category: int, *, seed: int) -> list[tuple[str, str, str]]:
    """(category, subject, description), per_category of each."""
    rng = random.Random(seed)
    return [
        (category, *ticket_text(category, rng, seed * 1000 + i))
        for category in PHRASES
        for i in range(per_category)
    ]


def resolved_tickets(per_category: int = 30, *, seed: int = 1) -> dict[str, Category]:
    """Resolved tickets in the six categories; returns the categories by name."""
    categories = {name: Category.objects.get_or_create(name=name)[0] for name in PHRASES}
    requester = CustomerFactory()
    Ticket.objects.bulk_create(
        Ticket(
            number=f"T-ASSIST-{seed}-{i:05d}",
            subject=subject,
            description=description,
            requester=requester,
            status=TicketStatus.RESOLVED,
            category=categories[category],
        )
        for i, (category, subject, description) in enumerate(samples(per_category, seed=seed))
    )
    return categories
