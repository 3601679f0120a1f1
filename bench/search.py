# ruff: noqa: S608  (table and column names come from this file; the words are parameters)
"""Search at scale (issue 13): knowledge-base articles and chat messages in Chinese and English,
searched through their term indexes (messages: chat/search/terms.py; articles:
desk/kb/terms.py) against a sequential `ILIKE '%word%'` scan of the same rows, in the same run.

It makes its own PostgreSQL database (`unidesk_search_bench`, dropped and migrated at the start)
and fills it in bulk (COPY): `--articles` KB articles and `--messages` messages in conversations
of about `--per-conversation` messages, their text drawn from a vocabulary of customer-service
words with a Zipf-like frequency (some words are in many messages, most in few), realistic
lengths, and an order number in some messages. The search rows are the application's own
segmentation (`index_text`, `terms`) of each text. Then, for a fixed set of queries (Chinese words,
English words, order numbers), it prints per query and overall:

- latency p50 / p95 of the search as the workspace runs it: `chat.search.conversation_hits`
  (the best 30 conversations by their best message, with snippets) and `desk.kb.search.kb_search`
  (the best 10 articles), against `SELECT … WHERE body ILIKE '%word%'` over the same table; and
  of the ranking alone (the ids of the best, as the scan gives ids: `conversation_ranks`,
  `kb_rank`), without loading the rows and making their snippets;
- recall: the share of the rows the ILIKE scan finds for the word that the index finds too (its
  full match set: every message or article with a posting of the word; not only the first
  page);
  where they differ is segmentation (ILIKE finds `退款` inside 退款单 when jieba cut it whole,
  or `order` inside `reorder`);
- the speed-up at p95 (target ≥ 100×) and overall recall (target ≥ 0.98).

    .venv/bin/python bench/search.py                                    # 1,000,000 / 50,000
    .venv/bin/python bench/search.py --messages 100000 --articles 5000  # smaller
    .venv/bin/python bench/search.py --reuse   # measure again the database an earlier run made
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import unidesk_fixtures  # noqa: E402


def words(text: str) -> list[str]:
    return text.split()


CHINESE = words(
    "退款 订单 物流 快递 发货 收货 地址 修改 取消 优惠券 发票 账号 密码 登录 注册 会员 积分 "
    "支付 微信 支付宝 银行卡 到账 余额 提现 充值 价格 保修 维修 换货 退货 质量 问题 耳机 "
    "手机 充电器 屏幕 电池 声音 蓝牙 网络 信号 客服 投诉 建议 评价 活动 折扣 满减 包邮 "
    "运费 仓库 库存 缺货 预售 尺码 颜色 型号 说明书 安装 售后 客户 商品 包裹 签收 拒收 "
    "丢失 损坏 延迟 催单 查询 进度 审核 通过 失败 成功 验证码 手机号 邮箱 绑定 解绑 实名 "
    "认证 身份证 门店 营业 时间 节假日 周末 配送 上门 自提 冰箱 洗衣机 空调 电视 电脑 平板 "
    "手表 相机 鞋子 衣服 裤子 外套 化妆品 食品 过期 新鲜 保质期 赠品 礼品卡 兑换 抽奖 红包 "
    "返现"
)
ENGLISH = words(
    "refund order shipping delivery tracking address change cancel coupon invoice "
    "account password login register member points payment card bank balance "
    "withdraw price warranty repair exchange return quality problem headphones phone "
    "charger screen battery sound bluetooth network signal support complaint "
    "feedback review discount promotion shipment warehouse stock preorder size color "
    "model manual install customer product parcel package signature damaged lost "
    "delayed status verification email subscription renewal upgrade downgrade plan "
    "trial license activation download update crash error bug slow fast broken "
    "missing wrong replacement receipt billing charge charged refunded refunds "
    "shipped delivered cancelled returned exchanged upgraded renewed activated "
    "installed courier voucher gift reward loyalty tier premium store pickup weekend "
    "holiday schedule appointment "
)
FILLER_ZH = words(
    "我 你好 请问 一下 这个 那个 什么 时候 怎么 可以 已经 还是 没有 但是 因为 所以 谢谢 "
    "麻烦 帮我 看看"
)
FILLER_EN = words(
    "hi hello please i my the a is it was when why can you could we not but and thanks "
)

QUERIES_ZH = [
    "退款",
    "物流",
    "发票",
    "优惠券",
    "密码",
    "保修",
    "充电器",
    "身份证",
    "礼品卡",
    "返现",
]
QUERIES_EN = ["refund", "invoice", "password", "warranty", "charger", "bluetooth", "voucher",
              "appointment", "subscription", "courier"]  # fmt: skip


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def prepare(args) -> None:
    env = unidesk_fixtures.environment(args.database_url, args.redis_url)
    if not args.reuse:
        unidesk_fixtures.recreate_database(args.database_url)
    unidesk_fixtures.flush_redis(args.redis_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)


def stored_orders(count: int, seed: int) -> list[str]:
    """`--reuse`: order numbers the messages of the earlier fill mention."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT substring(body from '[0-9]{12}') FROM chat_message "
            "WHERE body ~ '[0-9]{12}' ORDER BY id LIMIT 2000"
        )
        found = [row[0] for row in cursor.fetchall()]
    return random.Random(seed).sample(found, min(count, len(found)))


class Text:
    """Customer-service sentences from the vocabulary; word i of a list is drawn with weight
    1 / (i + 3) (a few words common, most rare), the list shuffled once so frequency does not
    follow the order above."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.zh, self.en = list(CHINESE), list(ENGLISH)
        self.random.shuffle(self.zh)
        self.random.shuffle(self.en)
        self.zh_weights = [1 / (i + 3) for i in range(len(self.zh))]
        self.en_weights = [1 / (i + 3) for i in range(len(self.en))]
        self.orders: list[str] = []
        self.message_orders: list[str] = []

    def _words(self, words, weights, filler, count: int) -> list[str]:
        picked = self.random.choices(words, weights, k=count)
        return [
            w if self.random.random() > 0.3 else f"{self.random.choice(filler)} {w}" for w in picked
        ]

    def sentence(self, words: int) -> str:
        kind = self.random.random()
        if kind < 0.55:
            body = "".join(
                w.replace(" ", "") for w in self._words(self.zh, self.zh_weights, FILLER_ZH, words)
            ) + self.random.choice("。？！，")
        elif kind < 0.9:
            body = " ".join(self._words(self.en, self.en_weights, FILLER_EN, words)) + "."
        else:
            half = max(1, words // 2)
            zh = "".join(
                w.replace(" ", "") for w in self._words(self.zh, self.zh_weights, FILLER_ZH, half)
            )
            en = " ".join(self._words(self.en, self.en_weights, FILLER_EN, half))
            body = f"{zh} {en}"
        if self.random.random() < 0.03:
            number = str(self.random.randrange(10**11, 10**12))
            self.orders.append(number)
            body += f" 订单号 {number}" if kind < 0.55 else f" order #{number}"
        return body

    def message(self) -> str:
        # most chat lines are short; a few are paragraphs
        words = min(60, max(1, int(self.random.lognormvariate(1.6, 0.7))))
        return self.sentence(words)


def copy(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
        for row in rows:
            out.write_row(row)


def fill(args, text: Text) -> None:
    from django.db import connection
    from django.utils import timezone

    from chat.models import Conversation, Customer
    from desk.kb.terms import weights
    from desk.kernel.search.postings import term_key
    from desk.kernel.search.text import index_text, terms
    from desk.models import KbCategory

    now = timezone.now()
    started = time.monotonic()
    conversations = max(1, args.messages // args.per_conversation)
    customers = Customer.objects.bulk_create(
        [Customer(display_name=f"客户 {n}") for n in range(max(1, conversations // 3))],
        batch_size=5000,
    )
    convs = Conversation.objects.bulk_create(
        [
            Conversation(
                channel="web",
                customer=customers[n % len(customers)],
                status="closed" if n % 4 else "open",
                last_seq=args.per_conversation,
                last_message_at=now,
            )
            for n in range(conversations)
        ],
        batch_size=5000,
    )
    took = time.monotonic() - started
    log(f"{len(customers)} customers, {len(convs)} conversations in {took:.0f} s")

    started = time.monotonic()
    connection.ensure_connection()
    raw = connection.connection
    next_id = 1
    with raw.cursor() as cursor:
        for chunk_start in range(0, args.messages, 50_000):
            messages, search = [], []
            for n in range(chunk_start, min(args.messages, chunk_start + 50_000)):
                conv = convs[n % len(convs)]
                body = text.message()
                sender = "customer" if n % 3 else "agent"
                messages.append(
                    (next_id, conv.pk, n // len(convs) + 1, "web", sender, "text", body, "{}",
                     False, "", "", "sent", now)
                )  # fmt: skip
                search.extend(
                    (next_id, conv.pk, term) for term in dict.fromkeys(map(term_key, terms(body)))
                )
                next_id += 1
            copy(
                cursor,
                "chat_message",
                ["id", "conversation_id", "seq", "channel", "sender_type", "content_type", "body",
                 "payload", "is_internal", "client_msg_id", "provider_message_id",
                 "delivery_state", "created_at"],
                messages,
            )  # fmt: skip
            copy(cursor, "chat_messageterm", ["message_id", "conversation_id", "term"], search)
            log(f"  {n + 1} messages")
        cursor.execute("SELECT setval('chat_message_id_seq', %s)", [next_id])
    log(f"{args.messages} messages in {time.monotonic() - started:.0f} s")
    text.message_orders = list(text.orders)  # the queries look for these

    started = time.monotonic()
    category = KbCategory.objects.create(name="Bench")
    with raw.cursor() as cursor:
        rows, terms = [], []
        for n in range(args.articles):
            title = text.sentence(text.random.randint(3, 8))
            body = "\n\n".join(text.sentence(text.random.randint(8, 30)) for _ in range(6))
            search_title, search_body = index_text(title), index_text(body)
            language = "zh-hans" if n % 2 else "en"
            rows.append(
                (n + 1, category.pk, title[:200], body, body, body, search_title, search_body,
                 language, "published", "", "", now, now)
            )  # fmt: skip
            terms.extend(
                (n + 1, term, weight, share, "published", language)
                for term, (weight, share) in weights(search_title, search_body).items()
            )
        copy(
            cursor,
            "desk_kbarticle",
            ["id", "category_id", "title", "body", "body_html", "body_text", "search_title",
             "search_body", "language", "status", "tags", "keywords", "created_at", "updated_at"],
            rows,
        )  # fmt: skip
        cursor.execute("SELECT setval('desk_kbarticle_id_seq', %s)", [args.articles + 1])
        copy(
            cursor,
            "desk_kbterm",
            ["article_id", "term", "weight", "title_share", "status", "language"],
            terms,
        )
        log(f"  {len(terms)} article terms")
        tables = ("chat_message", "chat_messageterm", "desk_kbarticle", "desk_kbterm",
                  "chat_conversation")  # fmt: skip
        for table in tables:  # as autovacuum leaves them: statistics, the visibility map
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")
    log(f"{args.articles} articles in {time.monotonic() - started:.0f} s")


def timed(fn, repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def measure(args, queries: list[tuple[str, str]]) -> dict:
    from django.db import connection

    from chat.models import Conversation
    from chat.search.selectors import conversation_hits, conversation_ranks
    from desk.kb.search import kb_rank, kb_search
    from desk.kernel.search.text import query_terms
    from desk.models import Audience

    def scan(table: str, column: str, word: str):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE {column} ILIKE %s", [f"%{word}%"])
            return {row[0] for row in cursor.fetchall()}

    def matched(word: str, table: str, column: str) -> set[int]:
        """Every row with a posting of the word's terms: the index's full match set."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT {column} FROM {table} WHERE term = ANY(%s)", [query_terms(word)]
            )
            return {row[0] for row in cursor.fetchall()}

    everything = Conversation.objects.all()
    results = {"messages": [], "articles": []}
    for kind, word in queries:
        for target in ("messages", "articles"):
            if target == "messages":
                search = partial(conversation_hits, everything, word, limit=30)
                rank = partial(conversation_ranks, None, word, limit=30)
                table, column = "chat_message", "body"
                postings = ("chat_messageterm", "message_id")
            else:
                search = partial(kb_search, word, audience=Audience.AGENT, limit=10)
                rank = partial(kb_rank, word, audience=Audience.AGENT, limit=10)
                table, column = "desk_kbarticle", "body_text"
                postings = ("desk_kbterm", "article_id")
            search_ms, hits = timed(search, args.repeat)
            rank_ms, _ = timed(rank, args.repeat)
            scan_ms, found = timed(partial(scan, table, column, word), args.scan_repeat)
            index_ids = matched(word, *postings)
            recall = len(found & index_ids) / len(found) if found else 1.0
            row = {
                "kind": kind,
                "query": word,
                "scan_rows": len(found),
                "index_rows": len(index_ids),
                "recall": round(recall, 4),
                "search_p50": statistics.median(search_ms),
                "scan_p50": statistics.median(scan_ms),
                "search_ms": search_ms,
                "rank_ms": rank_ms,
                "scan_ms": scan_ms,
                "results": len(hits),
            }
            results[target].append(row)
            log(
                f"{target:8} {kind:6} {word:14} scan {row['scan_p50']:8.1f} ms "
                f"({len(found)} rows)  search {row['search_p50']:6.1f} ms  recall {recall:.3f} "
                f"({len(index_ids)} by the index)"
            )
    return results


def summary(name: str, rows: list[dict]) -> list[str]:
    scan = [ms for row in rows for ms in row["scan_ms"]]
    found = sum(row["scan_rows"] for row in rows)
    both = sum(row["recall"] * row["scan_rows"] for row in rows)
    recall = both / found if found else 1.0
    lines = []
    for label, key in (("search", "search_ms"), ("ranking alone", "rank_ms")):
        search = [ms for row in rows for ms in row[key]]
        speedup = percentile(scan, 0.95) / percentile(search, 0.95)
        lines.append(
            f"{name}: {label} p50 {percentile(search, 0.5):.1f} ms, p95 "
            f"{percentile(search, 0.95):.1f} ms; ILIKE scan p50 {percentile(scan, 0.5):.0f} ms, "
            f"p95 {percentile(scan, 0.95):.0f} ms; speed-up at p95 {speedup:.0f}x "
            f"(target 100x: {'meets' if speedup >= 100 else 'MISSES'})"
        )
    lines.append(
        f"{name}: recall {recall:.4f} of {found} rows ILIKE found (target 0.98: "
        f"{'meets' if recall >= 0.98 else 'MISSES'}); worst query "
        f"{min(rows, key=lambda r: r['recall'])['query']} "
        f"{min(row['recall'] for row in rows):.3f}"
    )
    return lines


def run(args) -> None:
    import django

    django.setup()
    if args.reuse:
        orders = stored_orders(args.orders, args.seed + 1)
    else:
        text = Text(args.seed)
        fill(args, text)
        picker = random.Random(args.seed + 1)
        orders = picker.sample(text.message_orders, min(args.orders, len(text.message_orders)))
    queries = (
        [("zh", w) for w in QUERIES_ZH]
        + [("en", w) for w in QUERIES_EN]
        + [("order", number) for number in orders]
    )
    results = measure(args, queries)
    lines = [
        f"messages {args.messages} in {args.messages // args.per_conversation} conversations, "
        f"articles {args.articles}; {len(queries)} queries, search x{args.repeat}, "
        f"scan x{args.scan_repeat}",
        *summary("messages", results["messages"]),
        *summary("articles", results["articles"]),
    ]
    print("\n" + "\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--per-conversation", type=int, default=10)
    parser.add_argument("--orders", type=int, default=5, help="order numbers among the queries")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each search")
    parser.add_argument("--scan-repeat", type=int, default=2, help="runs of each ILIKE scan")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/unidesk_search_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database an earlier run filled (migrated, not filled again)",
    )
    args = parser.parse_args()
    prepare(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")
    run(args)


if __name__ == "__main__":
    main()
