"""The demo's knowledge base (desk.demo loads it): a category, then pairs of the same article in
Chinese and English (the English one is the translation), its status, tags and keywords."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoArticle:
    category: str
    zh_title: str
    zh_body: str
    en_title: str
    en_body: str
    tags: str = ""
    keywords: str = ""
    status: str = "published"


PRODUCTS, ORDERS, AFTER_SALES, SHIPPING, ACCOUNT, INTERNAL = (
    "产品使用 Products",
    "订单与支付 Orders and payment",
    "售后服务 After-sales",
    "物流配送 Shipping",
    "账户 Account",
    "内部流程 Internal",
)

ARTICLES = [
    DemoArticle(
        PRODUCTS,
        "耳机没有声音怎么办",
        "耳机没有声音时，请按顺序检查：\n\n"
        "1. 确认耳机已充电，电量指示灯为绿色。\n"
        "2. 在手机的**蓝牙**设置中删除耳机，再重新配对。\n"
        "3. 调高手机媒体音量，并关闭“勿扰模式”。\n"
        "4. 将耳机放回充电盒，长按按键 10 秒恢复出厂设置。\n\n"
        "仍然没有声音，请联系客服并提供订单号，我们为您安排检测或换新。",
        "My earphones have no sound",
        "If your earphones play no sound, check these in order:\n\n"
        "1. Make sure the earphones are charged (the light is green).\n"
        "2. Remove the earphones in your phone's **Bluetooth** settings and pair them again.\n"
        "3. Turn up the media volume and switch off Do Not Disturb.\n"
        "4. Put the earphones in the case and hold the button for 10 seconds to reset them.\n\n"
        "Still silent? Contact us with your order number and we will test or replace them.",
        tags="耳机, earphones, 故障 troubleshooting",
        keywords="无声 没声音 静音 听不到 silent mute headphones",
    ),
    DemoArticle(
        AFTER_SALES,
        "如何申请退款",
        "签收后 7 天内可以申请退款：\n\n"
        "1. 打开“我的订单”，选择要退款的订单。\n"
        "2. 点击“申请退款”，选择原因并上传照片。\n"
        "3. 审核通过后，退款在 1–3 个工作日内原路退回。\n\n"
        "已拆封的商品如不影响二次销售也可退款。",
        "How to request a refund",
        "You can request a refund within 7 days of delivery:\n\n"
        "1. Open **My orders** and choose the order.\n"
        "2. Tap **Request a refund**, pick a reason and upload photos.\n"
        "3. Once approved, the money goes back to your original payment method in 1–3 "
        "business days.\n\n"
        "Opened items can be refunded if they can still be sold.",
        tags="退款, refund",
        keywords="退钱 退货退款 money back reimbursement",
    ),
    DemoArticle(
        ORDERS,
        "订单号格式说明",
        "订单号是 5 位数字，例如 **12345**，显示在确认短信和“我的订单”页面的顶部。\n\n"
        "联系客服时请直接发送订单号（不需要加 # 号），客服可以更快查到您的订单。",
        "What an order number looks like",
        "An order number has 5 digits, for example **12345**. You find it in the "
        "confirmation text message and at the top of the My orders page.\n\n"
        "Send us the number as it is (without #) and we find your order faster.",
        tags="订单, order",
        keywords="订单编号 单号 order id order number",
    ),
    DemoArticle(
        ORDERS,
        "如何开具发票",
        "我们提供电子普通发票和增值税专用发票：\n\n"
        "- 下单时在“发票信息”中填写抬头和税号；\n"
        "- 下单后 30 天内也可以在订单详情中申请补开发票；\n"
        "- 电子发票在发货后 24 小时内发送到您的邮箱。",
        "How to get an invoice",
        "We issue electronic invoices and VAT special invoices:\n\n"
        "- enter the invoice title and tax number under **Invoice details** when you order;\n"
        "- within 30 days of ordering you can ask for an invoice from the order page;\n"
        "- electronic invoices are emailed within 24 hours of shipping.",
        tags="发票, invoice",
        keywords="开票 报销 税号 抬头 receipt fapiao tax",
    ),
    DemoArticle(
        SHIPPING,
        "发货时间与物流查询",
        "现货商品在付款后 48 小时内发货，预售商品以页面标注时间为准。\n\n"
        "发货后可在“我的订单”中查看快递单号和物流进度。偏远地区配送可能需要 5–7 天。",
        "Shipping times and tracking",
        "Items in stock ship within 48 hours of payment; pre-orders ship on the date shown.\n\n"
        "After shipping, find the tracking number and progress in **My orders**. Remote areas "
        "can take 5–7 days.",
        tags="物流, shipping",
        keywords="快递 发货 配送 到货 什么时候到 delivery courier track parcel",
    ),
    DemoArticle(
        ACCOUNT,
        "忘记密码怎么办",
        "在登录页点击“忘记密码”，输入注册手机号或邮箱，按短信或邮件中的链接设置新密码。"
        "链接 30 分钟内有效。\n\n收不到验证码请检查垃圾邮件，或 1 分钟后重新发送。",
        "How to reset your password",
        "On the sign-in page choose **Forgot password**, enter your phone number or email and "
        "follow the link we send to set a new password. The link works for 30 minutes.\n\n"
        "No code? Check your spam folder or send it again after a minute.",
        tags="密码, password",
        keywords="重置密码 登录不了 验证码 login sign in reset forgot",
    ),
    DemoArticle(
        AFTER_SALES,
        "退换货政策",
        "签收 7 天内无理由退货，15 天内质量问题可换货。定制商品和已激活的电子产品不支持无理由退货。"
        "\n\n质量问题的退换运费由我们承担。",
        "Returns and exchanges",
        "Return anything within 7 days of delivery; exchange faulty items within 15 days. "
        "Custom-made items and activated electronics cannot be returned without a fault.\n\n"
        "We pay the shipping for faulty items.",
        tags="退货, 换货, returns",
        keywords="退换 无理由 return exchange",
    ),
    DemoArticle(
        SHIPPING,
        "如何修改收货地址",
        "订单发货前可以在订单详情中点击“修改地址”。已发货的订单请联系客服，我们会尝试联系快递改派。",
        "How to change the delivery address",
        "Before the order ships, open it and choose **Change address**. Once shipped, contact "
        "us and we will ask the courier to redirect it.",
        tags="地址, address",
        keywords="改地址 收货人 电话 address wrong",
    ),
    DemoArticle(
        ORDERS,
        "支付失败怎么办",
        "支付失败通常是银行卡限额或网络问题：\n\n"
        "- 换一张银行卡或改用微信支付、支付宝；\n"
        "- 如果已扣款但订单未付款，款项会在 1–3 个工作日内自动退回。",
        "My payment failed",
        "A failed payment is usually a card limit or a network problem:\n\n"
        "- try another card, WeChat Pay or Alipay;\n"
        "- if you were charged but the order is unpaid, the money comes back automatically "
        "within 1–3 business days.",
        tags="支付, payment",
        keywords="付款 扣款 付不了 银行卡 charged card declined",
    ),
    DemoArticle(
        PRODUCTS,
        "蓝牙耳机如何配对",
        "打开充电盒，长按盒子上的按键 3 秒，指示灯白色闪烁后在手机蓝牙列表中选择“Unidesk Buds”。",
        "How to pair Bluetooth earphones",
        "Open the case, hold its button for 3 seconds until the light flashes white, then "
        "choose “Unidesk Buds” in your phone's Bluetooth list.",
        tags="耳机, 蓝牙, bluetooth",
        keywords="连接 配对 连不上 connect pairing headphones",
    ),
    DemoArticle(
        PRODUCTS,
        "保修政策",
        "所有电子产品享受 1 年保修。保修期内非人为损坏免费维修或更换，请保留购买凭证和订单号。",
        "Warranty",
        "Every electronic product has a one-year warranty: repairs or replacement are free "
        "for faults not caused by damage. Keep your receipt or order number.",
        tags="保修, warranty",
        keywords="维修 坏了 质保 repair broken guarantee",
    ),
    DemoArticle(
        ACCOUNT,
        "会员积分规则",
        "每消费 1 元获得 1 积分，积分可在下单时抵扣现金（100 积分抵 1 元），有效期 12 个月。",
        "Loyalty points",
        "Every 1 yuan you spend earns 1 point. Use points at checkout (100 points = 1 yuan); "
        "they last 12 months.",
        tags="会员, points",
        keywords="积分 抵扣 membership rewards",
    ),
    DemoArticle(
        INTERNAL,
        "退款审批流程（内部）",
        "超过 500 元的退款需要组长在后台审批；疑似恶意退款请转工单并选择“投诉”分类。",
        "Refund approvals (internal)",
        "Refunds over 500 yuan need a team lead's approval; suspected abuse becomes a ticket in "
        "the Complaints category.",
        tags="退款, refund, 内部 internal",
        status="internal",
    ),
    DemoArticle(
        PRODUCTS,
        "新品预售说明（草稿）",
        "新品将于下月开启预售，具体时间待定。",
        "Pre-order of the new model (draft)",
        "The new model opens for pre-order next month; the date is not set yet.",
        status="draft",
    ),
]
