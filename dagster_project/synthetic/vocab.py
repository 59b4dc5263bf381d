"""Japanese vocabulary for the synthetic landing zone: names, companies, phrases.

Person names come from Faker's ja_JP provider (kanji with their romanisation, so e-mail
addresses match the names); everything is drawn with the caller's seeded NumPy generator,
so the output depends on the seed only.
"""

from __future__ import annotations

import numpy as np
from faker import Faker

_FAKER = Faker("ja_JP")
_PERSON = next(p for p in _FAKER.providers if "person" in type(p).__module__)

# (kanji, romaji) with Faker's frequency weights for family names.
LAST_NAMES: list[tuple[str, str]] = [(k[0], k[2]) for k in _PERSON.last_name_pairs]
LAST_WEIGHTS = np.array([float(w) for w in _PERSON.last_name_pairs.values()])
LAST_WEIGHTS = LAST_WEIGHTS / LAST_WEIGHTS.sum()
FIRST_NAMES: list[tuple[str, str]] = [
    (k[0], k[2]) for k in (*_PERSON.first_name_male_pairs, *_PERSON.first_name_female_pairs)
]

REGIONS = ("関東", "関西", "中部", "九州・沖縄", "東北", "北海道", "中国", "四国")
REGION_WEIGHTS = (0.44, 0.18, 0.13, 0.08, 0.06, 0.04, 0.04, 0.03)

INDUSTRIES = (
    "製造業",
    "情報通信業",
    "卸売業・小売業",
    "建設業",
    "サービス業",
    "金融業・保険業",
    "医療・福祉",
    "運輸業・郵便業",
    "不動産業",
    "教育・学習支援業",
)
INDUSTRY_WEIGHTS = (0.22, 0.17, 0.15, 0.1, 0.12, 0.06, 0.06, 0.05, 0.04, 0.03)

# Company names: prefix/suffix form + core + business word; romaji for the e-mail domain.
_CORES = [
    ("日本", "nihon"),
    ("東京", "tokyo"),
    ("大和", "yamato"),
    ("三和", "sanwa"),
    ("新和", "shinwa"),
    ("北斗", "hokuto"),
    ("中央", "chuo"),
    ("東邦", "toho"),
    ("朝日", "asahi"),
    ("富士", "fuji"),
    ("丸山", "maruyama"),
    ("関西", "kansai"),
    ("名古屋", "nagoya"),
    ("九州", "kyushu"),
    ("北海", "hokkai"),
    ("瀬戸内", "setouchi"),
    ("青葉", "aoba"),
    ("若葉", "wakaba"),
    ("光", "hikari"),
    ("翔", "sho"),
    ("ミライ", "mirai"),
    ("サクラ", "sakura"),
    ("アオイ", "aoi"),
    ("ネクスト", "next"),
    ("グローバル", "global"),
    ("アルファ", "alpha"),
    ("ソレイユ", "soleil"),
    ("ユニオン", "union"),
    ("テクノ", "techno"),
    ("ひまわり", "himawari"),
    ("みなと", "minato"),
    ("やまと", "yamato"),
    ("オリオン", "orion"),
    ("エムケイ", "mk"),
    ("ケイエス", "ks"),
]
_BUSINESS = [
    ("工業", "kogyo"),
    ("精機", "seiki"),
    ("商事", "shoji"),
    ("物産", "bussan"),
    ("製作所", "seisakusho"),
    ("システム", "system"),
    ("ソリューションズ", "solutions"),
    ("ホールディングス", "hd"),
    ("電機", "denki"),
    ("化学", "kagaku"),
    ("薬品", "yakuhin"),
    ("不動産", "fudosan"),
    ("建設", "kensetsu"),
    ("運輸", "unyu"),
    ("食品", "foods"),
    ("通信", "tsushin"),
    ("情報", "joho"),
    ("技研", "giken"),
    ("興産", "kosan"),
    ("産業", "sangyo"),
    ("印刷", "insatsu"),
    ("物流", "logi"),
    ("メディカル", "medical"),
    ("テクノロジー", "tech"),
    ("サービス", "service"),
    ("エンジニアリング", "eng"),
    ("商会", "shokai"),
    ("保険", "hoken"),
]
_ENGLISH = [
    "Holdings, Inc.",
    "Japan Co., Ltd.",
    "Technologies, Inc.",
    "Partners, Ltd.",
]

CSM_TEAM_HIGH = 4  # named CSMs for high-touch accounts
CSM_TEAM_POOLED = 5  # pooled CS team (also owners of un-assigned pooled activities)

PRODUCT = "FlowDesk Cloud"
PLANS = ("Starter", "Standard", "Business", "Enterprise")
PLAN_PRICE = (24_000, 36_000, 48_000, 66_000)  # JPY per seat and year, list price

ACTIVITY_OWNER_AUTOMATION = "テックタッチ自動配信"

OBJECTIVES = (
    "全社展開：利用部門を{n}部門に拡大",
    "申請業務のペーパーレス化（紙の申請を{p}%削減）",
    "モバイルアプリの現場導入",
    "承認リードタイムを{n}日短縮",
    "基幹システムとのデータ連携を本番稼働",
    "管理者の育成（社内トレーナー{n}名）",
    "月次レポートの自動化",
    "利用定着：週次アクティブ率{p}%以上",
    "監査対応のための操作ログ整備",
    "グループ会社への展開（{n}社）",
)
OBJECTIVE_NOTES = (
    "",
    "\n（第2フェーズで対応）",
    "、経営会議で報告予定",
    "\n担当：情報システム部, 総務部",
)

TICKET_CATEGORIES = {
    "login": (
        "ログインできない",
        "パスワード再設定のメールが届かない",
        "SSO連携後にログインエラー",
    ),
    "integration": (
        "API連携でエラーが発生する",
        "CSV取込で文字化けする",
        "基幹システム連携が停止している",
    ),
    "billing": ("請求書の宛名変更について", "ライセンス数の追加方法", "支払い方法の変更"),
    "how_to": (
        "承認ルートの設定方法を教えてください",
        "一括登録の手順について",
        "権限設定について質問",
    ),
    "bug": ("画面が真っ白になる", "検索結果が表示されない", "エクスポートがタイムアウトする"),
    "feature_request": ("一覧画面に列を追加したい", "モバイルでの一括承認機能の要望"),
    "account": ("ユーザーIDの追加・削除", "退職者アカウントの無効化", "管理者の変更"),
}
TICKET_CHANNELS = ("email", "web", "phone", "chat")
TICKET_CHANNEL_WEIGHTS = (0.45, 0.3, 0.1, 0.15)

NPS_COMMENTS = {
    "promoter": (
        "とても使いやすく、社内の評判も良いです。",
        "サポートの対応が早くて助かっています。",
        "承認業務が大幅に効率化されました。他部署にも広げたいです。",
        "モバイル対応のおかげで外出先でも承認できるようになりました",
        "定例会での提案がいつも的確です。",
    ),
    "passive": (
        "概ね満足していますが、動作が重いときがあります。",
        "機能は十分ですが、設定がやや難しいです。",
        "特に不満はありません。",
        "もう少しレポート機能が充実すると嬉しいです",
    ),
    "detractor": (
        "問い合わせへの回答が遅い。",
        "現場に定着せず、使われていません。",
        "価格に見合う効果が感じられない。",
        "障害が多く、業務に支障が出ています。改善をお願いします。",
        "他社サービスへの切り替えを検討中です",
    ),
}
# The CSM's pulse (1 = about to leave .. 5 = advocate): a note now and then, by value.
PULSE_NOTES = {
    1: ("決裁者から他社比較中と連絡あり", "利用部門が撤退を検討、更新は厳しい"),
    2: ("推進担当が異動、後任が未定", "現場の定着が進まず不満の声", "予算見直しの話が出ている"),
    3: ("大きな問題はないが利用が横ばい", "定例会は継続、新しい施策待ち"),
    4: ("追加部門への展開を前向きに検討中", "定例会の反応が良い"),
    5: ("全社展開を推進、事例登壇にも前向き", "経営層が活用成果を評価、追加導入の相談あり"),
}
# Overrides: why the CSM knows better than the score, up (a rough patch that will pass) or
# down (a risk the data does not show yet).
OVERRIDE_REASONS_UP = (
    "基幹システム移行中のため一時的に利用が減少。移行完了後に戻る見込み（役員と確認済み）",
    "組織再編で利用部門が一時停止。新体制で継続利用を決裁済み",
    "大型案件の繁忙期で一時的に利用が落ちているが、更新は口頭合意済み",
)
OVERRIDE_REASONS_DOWN = (
    "推進担当の退職が決定。後任不在で更新リスクが高い",
    "親会社の方針で他社製品への統一を検討中と決裁者から聞いた",
    "予算削減の通達あり。利用は多いが更新額の大幅減額が見込まれる",
)
# CTA outcomes recorded in the CRM: a short note now and then, by outcome.
OUTCOME_NOTES = {
    "contacted": ("電話で状況を確認", "定例会で共有済み", "メールで案内を送付"),
    "no_response": ("メール・電話とも応答なし", "担当者不在、折り返しなし"),
    "won": (
        "追加IDの発注をいただいた",
        "上位プランへの切り替えで合意",
        "継続利用で合意、リスク解消",
    ),
    "lost": ("今期は見送りとの回答", "他社への切り替えが決定"),
    "dismissed": ("状況確認済み、対応不要", "別件で対応中"),
    "snoozed": ("先方の繁忙期明けに再連絡", "決算後に再提案"),
}

NPS_MULTILINE = "良い点：操作が直感的\n改善点：通知が多すぎる, 設定画面が分かりにくい"

SEMINARS = {
    "onboarding": ("はじめてのFlowDesk オンボーディング講座", 60),
    "training": ("活用トレーニング：{topic}", 90),
    "webinar": ("DX推進ウェビナー：{topic}", 60),
    "user_event": ("FlowDesk ユーザー会 {season}", 180),
    "community": ("コミュニティ・ミートアップ：{topic}", 90),
}
SEMINAR_TOPICS = (
    "ワークフロー設計の基本",
    "承認ルートの最適化",
    "モバイル活用",
    "API連携入門",
    "レポートとダッシュボード",
    "管理者向けセキュリティ設定",
    "ペーパーレス化の進め方",
    "電子帳簿保存法への対応",
)

FREE_MAIL = ("gmail.com", "yahoo.co.jp", "outlook.jp", "icloud.com")


def person_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """n Japanese names ("姓 名") and their e-mail local parts ("given.family")."""
    li = rng.choice(len(LAST_NAMES), size=n, p=LAST_WEIGHTS)
    fi = rng.integers(0, len(FIRST_NAMES), size=n)
    names = [f"{LAST_NAMES[a][0]} {FIRST_NAMES[b][0]}" for a, b in zip(li, fi, strict=True)]
    local = [f"{FIRST_NAMES[b][1]}.{LAST_NAMES[a][1]}".lower() for a, b in zip(li, fi, strict=True)]
    return names, local


def csm_names(seed: int, n: int) -> list[str]:
    """A small, stable CS team (Faker ja_JP, seeded), distinct names."""
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    out: list[str] = []
    while len(out) < n:
        name = fake.name()
        if name not in out:
            out.append(name)
    return out


def company_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """n company names (mostly distinct) and their e-mail domains (distinct)."""
    cores = [(k, r.lower()) for k, r in LAST_NAMES] + _CORES
    space = len(cores) * len(_BUSINESS)
    picks = rng.permutation(space)
    if n > space:
        picks = np.concatenate([picks, rng.integers(0, space, n - space)])
    form = rng.random(n)
    names: list[str] = []
    domains: list[str] = []
    seen: dict[str, int] = {}
    for i in range(n):
        core, core_r = cores[int(picks[i]) // len(_BUSINESS)]
        biz, biz_r = _BUSINESS[int(picks[i]) % len(_BUSINESS)]
        f = form[i]
        if f < 0.62:
            name = f"株式会社{core}{biz}"
        elif f < 0.9:
            name = f"{core}{biz}株式会社"
        elif f < 0.93:
            name = f"有限会社{core}{biz}"
        elif f < 0.95:
            name = f"合同会社{core}{biz}"
        else:
            eng = _ENGLISH[int(picks[i]) % len(_ENGLISH)]
            name = f"{core_r.capitalize()} {biz_r.capitalize()} {eng}"
        base = f"{core_r}-{biz_r}"
        k = seen.get(base, 0)
        seen[base] = k + 1
        domains.append(f"{base}{k + 1 if k else ''}.co.jp")
        names.append(name)
    return names, domains
