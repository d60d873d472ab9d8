"""A deterministic shop for rendering tests: long names in five scripts, every kind of record.

Everything is dated (`--on`, `--as-of`), the time zone is UTC and staff are named,
so the same commands print the same bytes on every run and machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AS_OF = "2026-03-20"

# Long names in Hangul, Japanese, Chinese, Armenian and Latin (plus Cyrillic), codes
# of a real shop's length: the widest identifying columns a table meets.
CUSTOMERS = [
    ("KR-2024-0001", "황보 서연 아름다운 하늘", "010-1234-5678", "seoyeon.hwangbo@example.kr"),
    ("KR-2024-0002", "김민준", "010-2345-6789", "minjun@example.kr"),
    ("JP-2024-0001", "長谷川 健太郎 ジョナサン", "090-1234-5678", "kentaro.hasegawa@example.jp"),
    ("CN-2024-0001", "欧阳 明月 诸葛 孔明", "+86 138 0013 8000", "mingyue@example.cn"),
    ("AM-2024-0001", "Անի Արմենի Պետրոսյան-Հովհաննիսյան", "+374 91 123456", "ani@example.am"),
    ("EU-2024-0001", "María-José Ľudmila Fernández Cruz", "+34 612 345 678", "mjfc@example.es"),
    ("RU-2024-0001", "Александра Сергеевна Петрова", "+7 912 345 67 89", "alex@example.ru"),
    ("KR-2024-0003", "이서연", "010-3456-7890", ""),
    ("KR-2024-0004", "김 민준", "010-2345-6789", ""),  # the same person twice: a dupe
]
NOTE = (
    "Prefers calls after 18:00; bought the espresso machine for her café, asks about "
    "descaling every visit. 커피 원두는 다크 로스트만, 토요일 오전 방문."
)


def build(cli: Any, tmp: Path) -> None:
    """Fill the database the `cli` fixture points at."""
    cli("config", "set", "timezone", "UTC")
    cli("config", "set", "staff.default", "지수")
    for i, (code, name, phone, email) in enumerate(CUSTOMERS):
        args = ["customers", "add", "--code", code, "--name", name, "--phone", phone]
        if email:
            args += ["--email", email]
        args += ["--birthday", f"19{70 + i}-03-{21 + i:02}", "--tag", "vip" if i < 3 else "단골"]
        args += ["--owner", "지수" if i % 2 else "Armen Hovhannisyan"]
        if i == 0:
            args += ["--notes", NOTE, "--company", "Sky Coffee, Ltd."]
        cli(*args)
    items = [
        ("Espresso machine, dual boiler", "Equipment", "12345678"),
        ("Beans, dark roast 1kg", "Coffee", "38000"),
        ("핸드드립 주전자", "Goods", "54000"),
        ("Grinder", "Equipment", "178000"),
    ]
    for i, (code, *_rest) in enumerate(CUSTOMERS):
        for j, (item, category, amount) in enumerate(items[: 1 + (len(CUSTOMERS) - i) % 4]):
            cli(
                "purchases", "add", code, "--amount", amount, "--item", item,
                "--category", category, "--on", f"2025-{1 + (i + j) % 12:02}-15",
                "--order", f"O-{i:02}{j:02}",
            )  # fmt: skip
    cli("tiers", "classify", "--as-of", "2025-12-31")
    cli("purchases", "add", "KR-2024-0003", "--amount", "99000000", "--on", "2026-02-01")
    cli("tiers", "classify", "--as-of", AS_OF)
    first = cli(
        "complaints", "open", "KR-2024-0001", "--summary",
        "Steam wand leaks after two weeks; the customer is upset, wants a replacement",
        "--channel", "phone", "--on", "2026-02-01", "--by", "지수",
    ).stdout.strip()  # fmt: skip
    cli("complaints", "advance", first, "--to", "apologized", "--on", "2026-02-02",
        "--note", "Called back and apologised; she was calmer but wants it fixed this week",
        "--by", "지수")  # fmt: skip
    cli("complaints", "advance", first, "--to", "cause-found", "--on", "2026-02-04",
        "--cause", "product-quality",
        "--detail", "a cracked gasket from the factory batch")  # fmt: skip
    cli("complaints", "advance", first, "--to", "resolved", "--on", "2026-02-06",
        "--resolution", "replaced the gasket on site", "--compensation", "gift",
        "--amount", "30000")  # fmt: skip
    cli("complaints", "open", "AM-2024-0001", "--summary", "Wrong size delivered",
        "--on", "2026-01-10", "--by", "Armen Hovhannisyan")  # fmt: skip
    cli("followups", "add", "KR-2024-0001", "--on", "2026-01-31", "--every", "1m",
        "--note", "Ask how the repaired machine works; offer the descaling kit")  # fmt: skip
    cli("followups", "add", "JP-2024-0001", "--on", "2026-03-22", "--note", "Call back")
    cli("contacts", "log", "CN-2024-0001", "--channel", "call", "--on", "2026-03-01",
        "--note", "Asked about the spring offer, will visit next week", "--by", "지수")  # fmt: skip
    csv = tmp / "walk-ins.csv"
    csv.write_text("code,name,phone\nWI-0001,Zoë Dupont-Lefèvre,+33 6 12 34 56 78\n", "utf-8")
    cli("customers", "import", str(csv))
