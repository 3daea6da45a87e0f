"""Generate the course's synthetic data sets, with their ground truth.

    python data/generate_datasets.py            # rewrites every data file in data/
    python data/generate_datasets.py OUT_DIR    # or writes them to another folder

Everything here is made up: fictional people, companies and patients, built
from phrase banks and templates with one seeded random generator, so a run
rewrites the same files byte for byte on any machine. To extend a data set,
add phrases or templates below and run the script again; the tests check
that the committed files match a fresh run.

The ground truth is decided here, by the rules that built each record (the
intent a query was written for, the defect planted in an invoice, the lab
value put out of range). The kit's simulated skills never read it: they
"understand" the text with their own keyword and pattern heuristics.

Only the standard library is used, so the script runs anywhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import sys
from pathlib import Path

SEED = 20250101
HERE = Path(__file__).resolve().parent


# -- writing files: fixed formats, so output is identical on every machine ----


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(row.get(key)) for key in columns})
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")


def split_train_test(rows: list[dict], rng: random.Random, label: str = "label", test_share: float = 0.3) -> None:
    """Stratified split: each label keeps the same share of test rows."""
    labels = sorted({row[label] for row in rows})
    for value in labels:
        group = [row for row in rows if row[label] == value]
        rng.shuffle(group)
        n_test = round(len(group) * test_share)
        for i, row in enumerate(group):
            row["split"] = "test" if i < n_test else "train"


# -- typos and chat-style writing (customer queries, requests) -----------------


def add_typos(text: str, rng: random.Random) -> str:
    """Misspell one or two longer words: swapped, dropped or doubled letters."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    for i in rng.sample(candidates, min(len(candidates), rng.choice([1, 2]))):
        w = words[i]
        j = rng.randrange(1, len(w) - 2)
        kind = rng.choice(["swap", "drop", "double"])
        if kind == "swap":
            w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        elif kind == "drop":
            w = w[:j] + w[j + 1 :]
        else:
            w = w[:j] + w[j] + w[j:]
        words[i] = w
    return " ".join(words)


def chat_style(text: str) -> str:
    """all lowercase, no final full stop, the way many people type in a chat box"""
    return re.sub(r"[.!]+(\s|$)", r"\1", text.lower()).strip()


QUESTION_WORDS = ("can", "could", "how", "what", "why", "when", "where", "is", "does", "do", "will", "which", "who")


def sentence(text: str) -> str:
    """Capitalise and punctuate: a question gets "?", anything else "."."""
    text = text.strip()
    text = text[0].upper() + text[1:]
    if text[-1] in ".?!":
        return text
    last_clause = re.split(r"[,.] |, so | and now ", text)[-1]
    return text + ("?" if last_clause.split(" ")[0].lower() in QUESTION_WORDS else ".")


# =============================================================================
# 1. Customer-service queries (the router lesson)
# =============================================================================

# Each intent has "situations" (what happened) and "requests" (what the customer asks for).
# A clear query uses its own intent's phrases; a mixed query describes another
# department's situation but asks for this intent (the request decides the label).
INTENTS: dict[str, dict[str, dict[str, list[str]]]] = {
    "billing": {
        "refund": {
            "situations": [
                "I cancelled my subscription last week but was still charged {amount}",
                "the annual plan renewed even though I turned off auto-renew",
                "I returned the {item} ten days ago and have not seen my money back",
                "I was billed for the {plan} but I downgraded in {month}",
                "you took {amount} for a service I never used",
            ],
            "requests": [
                "I'd like a refund please",
                "can I get my money back",
                "please refund the {amount} charge",
                "how long does a refund take to reach my card",
                "I want the {amount} returned to my account",
                "please reverse that payment",
                "I expect a full reimbursement",
            ],
        },
        "double_charge": {
            "situations": [
                "I see two identical charges of {amount} on my card statement",
                "my bank shows the {month} payment twice",
                "you charged me twice for the same order",
                "there is a duplicate payment on my credit card",
                "the {plan} fee went out two times this month",
            ],
            "requests": [
                "please fix the duplicate charge",
                "can you remove one of the two payments",
                "why was I charged twice",
                "please cancel the extra charge",
                "I need the second transaction reversed",
            ],
        },
        "invoice_request": {
            "situations": [
                "our accounts team needs paperwork for the {month} payment",
                "I need the invoice for my expense report",
                "the receipt you emailed is missing our VAT number",
                "our auditor asked for last year's billing documents",
            ],
            "requests": [
                "can you send me a copy of the invoice",
                "where can I download my invoices",
                "please resend the {month} invoice with our company name on it",
                "I need a VAT invoice for order {order}",
                "could you email a receipt for the last payment",
            ],
        },
        "update_payment": {
            "situations": [
                "my credit card expired last month",
                "we switched banks",
                "my card was declined when the plan renewed",
                "our finance team wants to stop using company cards",
            ],
            "requests": [
                "how do I update my payment method",
                "I want to pay by bank transfer instead of card",
                "please change the card on file",
                "can I switch to paying by PayPal",
                "where do I enter new card details",
            ],
        },
    },
    "technical": {
        "login_error": {
            "situations": [
                "I get an invalid credentials error even with the right password",
                "single sign-on stopped working this morning",
                "the login page just spins forever",
                "I am locked out after the latest update with error {code}",
                "the two-factor code is always rejected",
            ],
            "requests": [
                "please help me log in",
                "why can't I sign in",
                "how do I get past the login error",
                "can you fix the sign-in problem",
                "what is going on with authentication",
            ],
        },
        "app_crash": {
            "situations": [
                "the mobile app crashes as soon as I open it",
                "the desktop app freezes and closes when I export a report",
                "since version {version} the app keeps crashing on my {device}",
                "I get a blank white screen and then the app quits",
                "the editor shuts down every time I paste an image",
            ],
            "requests": [
                "how do I stop it crashing",
                "is there a fix for this crash",
                "please look into this bug",
                "what should I do, reinstalling didn't help",
                "when will the crash be fixed",
            ],
        },
        "slow_performance": {
            "situations": [
                "the dashboard takes over a minute to load",
                "everything is extremely slow since yesterday",
                "reports time out before they finish",
                "uploads are crawling at a few KB per second",
                "search results lag for ages",
            ],
            "requests": [
                "can you speed this up",
                "is there an outage",
                "why is it so slow",
                "is something wrong on your side",
                "please check the performance of our workspace",
            ],
        },
        "integration_error": {
            "situations": [
                "our API calls return error {code}",
                "the Salesforce sync failed overnight",
                "the webhook stopped firing",
                "the Slack integration says the token is invalid",
                "the CSV import from our CRM keeps failing",
            ],
            "requests": [
                "how do I fix the integration",
                "can you check the API on your end",
                "please help us reconnect the sync",
                "what does this API error mean",
                "is the connector broken",
            ],
        },
    },
    "product": {
        "pricing_plans": {
            "situations": [
                "we are a team of {n} looking at your plans",
                "I'm on the free tier and thinking about upgrading",
                "we are comparing you with another vendor",
            ],
            "requests": [
                "what is the difference between the Basic plan and the {plan}",
                "how much does the {plan} cost per user",
                "do you offer a discount for nonprofits",
                "is there an annual pricing option",
                "which plan would suit a team our size",
            ],
        },
        "feature_question": {
            "situations": [
                "we are evaluating the tool for our marketing team",
                "I love the reports so far",
                "I'm new and still exploring",
            ],
            "requests": [
                "does it support exporting to Excel",
                "can I schedule reports to be emailed automatically",
                "is there a dark mode",
                "can several people edit the same board at once",
                "does the {plan} include the analytics module",
                "is there a way to tag tasks by colour",
            ],
        },
        "compatibility": {
            "situations": [
                "our company uses {os} laptops",
                "I have an older {device}",
                "our IT department only allows approved browsers",
            ],
            "requests": [
                "will the app work on {os}",
                "is it compatible with my {device}",
                "does it run on Linux",
                "which browsers do you support",
                "what are the minimum system requirements",
            ],
        },
        "availability": {
            "situations": [
                "I saw the new {item} announced",
                "the {item} was sold out last time I checked",
                "a friend recommended the {item}",
            ],
            "requests": [
                "when will the {item} be back in stock",
                "do you ship to {country}",
                "when is the new version being released",
                "is the {item} available in Europe",
                "can I pre-order the {item}",
            ],
        },
    },
    "account": {
        "update_details": {
            "situations": [
                "I got married and changed my name",
                "we moved offices",
                "I have a new work email",
            ],
            "requests": [
                "how do I change the email on my account",
                "please update my billing address",
                "can I change my username",
                "I need to update the phone number on my profile",
                "where do I edit my personal details",
            ],
        },
        "close_account": {
            "situations": [
                "we no longer need the service",
                "I'm moving to another provider",
                "I signed up by mistake",
            ],
            "requests": [
                "please delete my account",
                "how do I close my account permanently",
                "I want my profile deactivated and my data removed",
                "cancel my membership and remove my account",
                "can you erase everything you hold about me",
            ],
        },
        "manage_users": {
            "situations": [
                "a new colleague joined our team",
                "one of our admins left the company",
                "our workspace has too many seats assigned",
            ],
            "requests": [
                "how do I add a user to our workspace",
                "please remove {name} from our account",
                "can I give another person admin rights",
                "how do I transfer ownership of the account",
                "how can I invite the rest of my team",
            ],
        },
        "reset_password": {
            "situations": [
                "I forgot my password",
                "the reset email never arrives",
                "I don't remember which email I signed up with",
            ],
            "requests": [
                "how do I reset my password",
                "please send me a password reset link",
                "can you help me recover my account",
                "I need to change my password",
            ],
        },
    },
}

VAGUE = [
    "I need some help", "it's not working", "can someone call me back", "I have a problem",
    "hello, is anyone there", "I have a question", "this is urgent, please respond",
    "something is wrong", "please advise", "I have an issue with your service, get back to me",
    "following up on my previous message", "can I speak to a human", "nothing works as expected",
    "I'm confused, what do I do now", "same problem as before",
]
OUT_OF_SCOPE = [
    "what is the weather like in {city} tomorrow", "can you recommend a good restaurant near me",
    "write a short poem about the sea", "who won the football game last night",
    "what is the capital of {country}", "how do I bake sourdough bread",
    "translate good morning into Spanish", "tell me a joke", "what is your favourite movie",
    "can you help with my maths homework", "how do I fix a flat tyre on my bike",
    "is it going to rain this weekend", "book me a flight to {city}",
    "what time does the supermarket close", "how many calories are in a banana",
]
OPENERS = ["", "", "", "Hi, ", "Hello, ", "Hi there, ", "Good morning, ", "Hey, ", "Dear support, "]
CLOSERS = ["", "", "", " Thanks.", " Thank you!", " Please help.", " Cheers.", " Any help appreciated.", " ASAP please."]
FILLERS = {
    "amount": ["$49.99", "$12", "$240.00", "EUR 89", "$19.95", "$1,200"],
    "item": ["headset", "smart speaker", "starter kit", "router", "keyboard"],
    "plan": ["Pro plan", "Team plan", "Enterprise plan", "Premium plan"],
    "month": ["January", "March", "May", "August", "October", "December"],
    "order": ["#48213", "#11907", "#73350", "#90412"],
    "code": ["401", "500", "E-1024", "503", "429"],
    "version": ["4.2", "5.0", "3.9.1"],
    "device": ["iPhone", "Android phone", "Chromebook", "iPad", "Windows laptop"],
    "os": ["macOS", "Windows 11", "Ubuntu", "ChromeOS"],
    "n": ["5", "12", "40", "200"],
    "country": ["Canada", "Brazil", "Japan", "Kenya", "Norway"],
    "city": ["Lisbon", "Toronto", "Osaka", "Nairobi", "Oslo"],
    "name": ["Dana Whitfield", "Omar Reyes", "Priya Nand", "Lukas Berg"],
}
QUERY_COUNTS = {"billing": 90, "technical": 90, "product": 70, "account": 70}
N_VAGUE, N_OUT_OF_SCOPE = 32, 32


def fill(template: str, rng: random.Random) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: rng.choice(FILLERS[m.group(1)]), template)


def _clear_query(department: str, intent: str, rng: random.Random) -> str:
    bank = INTENTS[department][intent]
    situation, request = fill(rng.choice(bank["situations"]), rng), fill(rng.choice(bank["requests"]), rng)
    form = rng.choice(["both", "both", "comma", "request", "situation_question"])
    if form == "both":
        return f"{sentence(situation)} {sentence(request)}"
    if form == "comma":
        return sentence(f"{situation}, {request}")
    if form == "request":
        return sentence(request)
    return f"{sentence(situation)} What can I do?"


# Mixed queries: a situation from one department, then a request to another. The request
# decides the label. Only pairs a customer would plausibly write together.
MIXED = [
    (("technical", "app_crash"), ("billing", "refund")),
    (("technical", "slow_performance"), ("billing", "refund")),
    (("account", "close_account"), ("billing", "refund")),
    (("account", "update_details"), ("billing", "invoice_request")),
    (("technical", "login_error"), ("account", "reset_password")),
    (("billing", "double_charge"), ("account", "close_account")),
    (("account", "reset_password"), ("technical", "login_error")),
    (("billing", "update_payment"), ("technical", "login_error")),
    (("account", "manage_users"), ("product", "pricing_plans")),
    (("technical", "slow_performance"), ("product", "pricing_plans")),
    (("technical", "app_crash"), ("product", "compatibility")),
]


def _mixed_query(department: str, rng: random.Random) -> tuple[str, str, str]:
    """Returns (text, intent, the other department)."""
    (other, other_intent), (_, intent) = rng.choice([pair for pair in MIXED if pair[1][0] == department])
    situation = fill(rng.choice(INTENTS[other][other_intent]["situations"]), rng)
    request = fill(rng.choice(INTENTS[department][intent]["requests"]), rng)
    joiner = rng.choice([". ", ", so ", " and now "])
    text = f"{sentence(situation)} {sentence(request)}" if joiner == ". " else sentence(situation + joiner + request)
    return text, intent, other


def _dress(text: str, rng: random.Random) -> tuple[str, str]:
    """Add an opener and closer; sometimes typos or chat style. Returns (text, kind)."""
    opener = rng.choice(OPENERS)
    text = opener + (text[0].lower() + text[1:] if opener else text) + rng.choice(CLOSERS)
    roll = rng.random()
    if roll < 0.15:
        return add_typos(text, rng), "typo"
    if roll < 0.25:
        return chat_style(text), "typo"
    return text, "clear"


def customer_queries(rng: random.Random) -> list[dict]:
    rows: list[dict] = []
    seen: set[str] = set()

    def add(text: str, label: str, intent: str, kind: str, secondary: str = "") -> bool:
        if text.lower() in seen or ":" in text:  # unique, and no colons (see the data card)
            return False
        seen.add(text.lower())
        rows.append({"text": text, "label": label, "intent": intent, "kind": kind, "secondary": secondary})
        return True

    for department, count in QUERY_COUNTS.items():
        intents = sorted(INTENTS[department])
        made = 0
        while made < count:
            intent = intents[made % len(intents)]
            if rng.random() < 0.14:
                core, intent, secondary = _mixed_query(department, rng)
                text, kind = _dress(core, rng)[0], "mixed"
            else:
                (text, kind), secondary = _dress(_clear_query(department, intent, rng), rng), ""
            made += add(text, department, intent, kind, secondary)
    for bank, intent, count in ((VAGUE, "clarify", N_VAGUE), (OUT_OF_SCOPE, "out_of_scope", N_OUT_OF_SCOPE)):
        made = 0
        while made < count:
            text, kind = _dress(sentence(fill(rng.choice(bank), rng)), rng)
            made += add(text, "general", intent, "vague" if intent == "clarify" else "out_of_scope")
    split_train_test(rows, rng)
    rng.shuffle(rows)
    for i, row in enumerate(rows, 1):
        row["id"] = f"q{i:04d}"
    return rows


# =============================================================================
# 2. Enterprise requests (the hierarchical lesson)
# =============================================================================

# Policy that decides the ground truth (and that the lesson's data card states):
#   purchases: under $1,000 automated, $1,000 to $25,000 manual review, over $25,000 escalation;
#   expenses: under $500 with a receipt automated, otherwise manual review; suspected fraud escalates;
#   security incidents, legal threats, regulators and harassment always escalate.
REQUESTS: dict[str, list[tuple[str, str, str]]] = {  # category -> (template, label, reason)
    "it_access": [
        ("Please give me access to {app} for the {team} project", "automated", "standard application access"),
        ("Can you reset my VPN password, I'm locked out", "automated", "routine password reset"),
        ("New starter {person} needs a laptop account and an email address", "automated", "standard onboarding"),
        ("Please unlock my account after too many sign-in attempts", "automated", "routine account unlock"),
        ("I need admin rights on {system} to install a plugin", "manual_review", "privileged access needs approval"),
        ("Requesting write access to the production database for {team}", "manual_review", "production access needs approval"),
        ("Temporary access to the payroll system for the year-end audit please", "manual_review", "sensitive system access"),
        ("Someone logged into my account from another country last night", "escalation", "possible account compromise"),
        ("Our shared admin password was posted in a public chat channel", "escalation", "leaked credentials"),
    ],
    "purchase": [
        ("Please order {qty} {goods} for the {team} team, total {amount}", "by_amount", ""),
        ("Purchase request for {goods} from {vendor}, quote attached, {amount}", "by_amount", ""),
        ("Approve buying a {software} licence for {amount} per year", "by_amount", ""),
    ],
    "expense": [
        ("Reimburse my taxi and hotel for the {city} trip, {amount}, receipts attached", "by_expense", "receipt"),
        ("Expense claim for a client dinner, {amount}, receipt attached", "by_expense", "receipt"),
        ("Please reimburse {amount} for conference tickets, I lost the receipt", "by_expense", "no receipt"),
        ("Unknown charges of {amount} appeared on my corporate card, I think it was stolen", "escalation", "suspected card fraud"),
    ],
    "hr": [
        ("Please update my home address in the HR system", "automated", "routine record update"),
        ("I'd like to book five vacation days in {month}", "automated", "routine leave request"),
        ("Can I get a copy of my last three payslips", "automated", "routine document request"),
        ("Requesting a salary adjustment for {person} after the promotion", "manual_review", "pay change needs approval"),
        ("I'd like an exception to the remote-work policy to work from {city} for two months", "manual_review", "policy exception"),
        ("I want to report harassment by a colleague in my team", "escalation", "harassment report"),
        ("An employee was injured in the warehouse this morning", "escalation", "workplace injury"),
    ],
    "security": [
        ("Forwarding a phishing email I received, I did not click anything", "automated", "routine phishing report"),
        ("Please renew the TLS certificate for {system} before it expires", "automated", "routine maintenance"),
        ("Antivirus found malware on {person}'s laptop and it spread to the file share", "escalation", "active malware incident"),
        ("Customer records were visible through a public link for two days", "escalation", "possible data breach"),
        ("I lost my work laptop with unencrypted client files on the train", "escalation", "lost device with client data"),
    ],
    "legal": [
        ("Please review the standard NDA for our new supplier {vendor}", "manual_review", "contract review"),
        ("{vendor} asks us to change the liability clause in their contract", "manual_review", "contract change"),
        ("We received a letter from a regulator asking about our data retention", "escalation", "regulator inquiry"),
        ("A former customer is threatening to sue us over a failed delivery", "escalation", "legal threat"),
    ],
}
REQUEST_FILLERS = {
    "app": ["Confluence", "Jira", "the shared drive", "Zoom", "the design tool"],
    "team": ["marketing", "data", "sales", "finance", "support"],
    "system": ["the web server", "the CRM", "the build server", "the finance portal"],
    "person": ["Ana Costa", "Ben Okafor", "Chloe Martin", "Dev Patel", "Eva Novak"],
    "goods": ["monitors", "office chairs", "laptops", "headsets", "standing desks"],
    "vendor": ["Brightwater Supplies", "Kestrel Analytics", "Northfield Office", "Larkspur Systems"],
    "software": ["design software", "project tracking", "analytics", "video editing"],
    "city": ["Madrid", "Chicago", "Singapore", "Berlin", "Dublin"],
    "month": ["April", "July", "September", "December"],
}
PURCHASE_AMOUNTS = [120, 340, 780, 950, 1450, 3200, 6800, 12400, 19900, 24000, 31000, 48500, 76000, 125000]
EXPENSE_AMOUNTS = [45, 86, 130, 210, 380, 470, 520, 760, 1340]
REQUEST_COUNT = 180


def _amount_label(category: str, amount: int, receipt: str) -> tuple[str, str]:
    if category == "purchase":
        if amount < 1000:
            return "automated", "purchase under $1,000"
        if amount <= 25000:
            return "manual_review", "purchase between $1,000 and $25,000"
        return "escalation", "purchase over $25,000"
    if receipt == "receipt" and amount < 500:
        return "automated", "expense under $500 with receipt"
    return "manual_review", "expense of $500 or more" if amount >= 500 else "expense without receipt"


def _fill_request(template: str, amount: int | None, rng: random.Random) -> str:
    def value(slot: str) -> str:
        if slot == "amount":
            return f"${amount:,}"
        if slot == "qty":
            return str(rng.choice([2, 4, 10, 25]))
        return rng.choice(REQUEST_FILLERS[slot])

    return re.sub(r"\{(\w+)\}", lambda m: value(m.group(1)), template)


def enterprise_requests(rng: random.Random) -> list[dict]:
    rows: list[dict] = []
    seen: set[str] = set()
    categories = sorted(REQUESTS)
    while len(rows) < REQUEST_COUNT:
        category = categories[len(rows) % len(categories)]
        template, label, reason = rng.choice(REQUESTS[category])
        amount = rng.choice(PURCHASE_AMOUNTS if category == "purchase" else EXPENSE_AMOUNTS) if "{amount}" in template else None
        if label in ("by_amount", "by_expense"):
            label, reason = _amount_label(category, amount, reason)
        text = _fill_request(template, amount, rng)
        text = sentence(add_typos(text, rng) if rng.random() < 0.1 else text)
        if text in seen:
            continue
        seen.add(text)
        rows.append({"text": text, "category": category, "amount_usd": amount, "label": label, "reason": reason})
    split_train_test(rows, rng)
    for i, row in enumerate(rows, 1):
        row["id"] = f"r{i:04d}"
    return rows


# =============================================================================
# 3. Business documents (the parallel lesson)
# =============================================================================

ORGS = [
    "Brightwater Logistics Ltd", "Kestrel Analytics Inc", "Northfield Foods GmbH", "Larkspur Systems LLC",
    "Copperline Energy plc", "Harbourview Insurance Inc", "Silverpine Retail Group", "Fernhill Partners",
    "Tallis & Moore", "Orbitek", "Meadowgate Hotels Ltd", "Bluefin Payments Corp",
]
FIRST_NAMES = ["Maria", "James", "Aisha", "Tomasz", "Li", "Sofia", "Kwame", "Hannah", "Ravi", "Elena", "Mateo", "Ingrid"]
LAST_NAMES = ["Silva", "Okafor", "Haddad", "Nowak", "Chen", "Rossi", "Mensah", "Becker", "Iyer", "Petrova", "Garcia", "Lund"]
CITIES = ["Lisbon", "Rotterdam", "Denver", "Manchester", "Singapore", "Nairobi", "Montreal", "Krakow"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]

# (topic, ground-truth keywords, body with {a}/{b} for the two organisations)
CONTRACT_TOPICS = [
    ("cloud hosting", ["cloud hosting", "uptime", "data backup"],
     "{b} will provide cloud hosting for the customer portal of {a}. The cloud hosting covers production and test "
     "systems, with 99.9% uptime and a daily data backup. Uptime is reported every month and each data backup is kept "
     "for ninety days."),
    ("office cleaning", ["office cleaning", "cleaning staff", "inspection"],
     "{b} will provide office cleaning at the premises of {a} five days a week. The cleaning staff are trained and "
     "insured, and office cleaning includes a monthly deep clean. A joint inspection takes place each quarter and the "
     "inspection report is shared with the cleaning staff."),
    ("software licence", ["software licence", "user seats", "support hours"],
     "{b} grants {a} a software licence for 250 user seats. The software licence includes updates and support hours "
     "from 8am to 6pm on working days. Additional user seats can be added at the same rate, and support hours may be "
     "extended on request."),
    ("freight transport", ["freight transport", "delivery schedule", "cargo insurance"],
     "{b} will handle freight transport between the warehouses of {a}. Freight transport follows a weekly delivery "
     "schedule, and cargo insurance covers every shipment. Changes to the delivery schedule need two days of notice; "
     "cargo insurance claims are settled within a month."),
    ("marketing services", ["marketing campaign", "social media", "campaign report"],
     "{b} will run a marketing campaign for the new product line of {a}. The marketing campaign uses social media and "
     "print advertising, and a campaign report is delivered every month. Social media posts are approved by {a} "
     "before publication, and the final campaign report is due at the end of the term."),
]
SAFE_CLAUSES = [
    "Invoices are payable within 30 days of receipt.",
    "Liability is capped at the fees paid in the previous twelve months.",
    "Each party will keep the other's information confidential.",
]
RISKY_CLAUSES = {  # flag -> clause that plants it
    "auto_renewal": "This agreement renews automatically for successive one-year terms unless cancelled in writing.",
    "unlimited_liability": "{b} accepts unlimited liability for any loss arising from the services.",
    "long_payment_terms": "Invoices are payable within 120 days of receipt.",
    "exclusivity": "{a} shall buy such services exclusively from {b} for the whole term.",
}
TERMINATION = "Either party may terminate this agreement with 30 days' written notice."

MEMO_TOPICS = [
    ("travel policy", ["travel policy", "economy class", "booking"], "neutral",
     "The travel policy changes from next month. All flights under six hours are booked in economy class, and every "
     "booking goes through the travel portal. The new travel policy also covers rail booking for trips under 500 km."),
    ("office move", ["office move", "new office", "parking"], "neutral",
     "The office move to our new office in {city} happens over the weekend. Please pack your desk by Friday. The new "
     "office has parking for 40 cars; parking permits are issued at reception after the office move."),
    ("expense tool", ["expense tool", "receipts", "approval"], "neutral",
     "We are switching to a new expense tool. Scan receipts with the mobile app and submit them for approval within "
     "a week. Managers will see approval requests in the expense tool, and paper receipts are no longer accepted."),
    ("record quarter", ["record quarter", "team bonus", "customer satisfaction"], "positive",
     "Great news: we had a record quarter, and customer satisfaction reached its highest level ever. Thank you all "
     "for the excellent work. A team bonus will be paid in {month}, and we will celebrate the record quarter together."),
    ("hiring freeze", ["hiring freeze", "budget cuts", "overtime"], "negative",
     "After disappointing results, a hiring freeze starts today and budget cuts hit every team. Overtime is no longer "
     "approved. We regret that the hiring freeze and the budget cuts are necessary, and we know this is bad news."),
    ("security training", ["security training", "phishing", "passwords"], "neutral",
     "Security training is mandatory for all staff this quarter. The course covers phishing, strong passwords and "
     "safe handling of client data. Please complete the security training and report any phishing emails you receive."),
]
MEMO_RISKS = {
    "side_agreement": "As agreed verbally with {org}, we will not record their extra discount in the system.",
    "personal_data": "For reference, {person}'s home address is 12 Elm Street and her date of birth is {dob}.",
}

COMPLAINT_TOPICS = [
    ("damaged delivery", ["damaged", "delivery", "replacement"],
     "I ordered a dining table on {date} and the delivery arrived badly damaged. The box was torn and two legs were "
     "broken. I asked for a replacement a week ago and I am still waiting for the replacement or any answer about "
     "the damaged delivery."),
    ("billing error", ["overcharged", "invoice", "refund"],
     "Your latest invoice overcharged me by {money}. I have been a customer for six years and I was overcharged "
     "twice this year. I want a refund of the overcharged amount and a corrected invoice."),
    ("poor service", ["hotline", "waiting time", "rude staff"],
     "I called your hotline in {city} four times this week. The waiting time was over an hour each time, and the rude "
     "staff hung up on me twice. Nobody at the hotline could explain the waiting time."),
    ("late refund", ["refund", "cancelled booking", "weeks"],
     "I cancelled my booking on {date} and was promised a refund within five days. It has now been six weeks. The "
     "cancelled booking still shows as paid and the refund has not arrived after all these weeks."),
]
COMPLAINT_TONES = ["This is unacceptable and I am very disappointed.", "I am extremely frustrated with how this was handled.",
                   "Frankly this is the worst service I have ever had.", "Please let me know the next steps."]
COMPLAINT_RISKS = {
    "personal_data": "You can charge the difference to my card number 4111 1111 1111 1111, expiry 09/27.",
    "legal_threat": "If this is not resolved within seven days I will take legal action.",
}

REPORT_TOPICS = [
    ("sales growth", ["revenue", "new customers", "online sales"], "positive",
     "Revenue grew by 14% to {money}, the strongest result in three years. We won 320 new customers, and online sales "
     "doubled. Revenue from new customers now makes up a fifth of the total, and online sales keep rising."),
    ("cost overrun", ["costs", "delays", "budget"], "negative",
     "Project costs rose to {money}, well above the budget. Supplier delays and a failed system upgrade caused "
     "serious problems. Costs will stay high while the delays continue, and the budget for next year is at risk."),
    ("stable operations", ["operations", "headcount", "inventory"], "neutral",
     "Operations were in line with the plan. Headcount stayed at 412, and inventory levels were unchanged at {money}. "
     "No changes to operations or headcount are planned; inventory is reviewed again next quarter."),
    ("customer churn", ["churn", "complaints", "retention"], "negative",
     "Customer churn rose to 9%, the worst level on record. Complaints about delivery times doubled, and the "
     "retention programme failed to meet its targets. Reducing churn and complaints is now the top priority for retention."),
]
REPORT_RISKS = {
    "guarantee_claim": "We guarantee investors a return of at least 15% next year.",
    "unaudited_figures": "These figures are preliminary and have not been audited.",
}
HIGH_RISK = {"unlimited_liability", "side_agreement", "personal_data", "legal_threat", "guarantee_claim"}
BUSINESS_DOCS_PER_TYPE = 10


class _Writer:
    """Builds a document while recording every entity it mentions (the ground truth)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.entities = rng, []

    def mention(self, text: str, kind: str) -> str:
        if {"text": text, "type": kind} not in self.entities:
            self.entities.append({"text": text, "type": kind})
        return text

    def person(self) -> str:
        return self.mention(f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}", "PERSON")

    def org(self, exclude: str = "") -> str:
        return self.mention(self.rng.choice([o for o in ORGS if o != exclude]), "ORG")

    def city(self) -> str:
        return self.mention(self.rng.choice(CITIES), "LOCATION")

    def date(self) -> str:
        day, month = self.rng.randint(1, 28), self.rng.choice(MONTHS)
        return self.mention(f"{day} {month} 2025", "DATE")

    def money(self) -> str:
        value = self.rng.choice([2400, 18500, 48000, 125000, 310000, 1250000])
        return self.mention(f"${value:,}" if self.rng.random() < 0.7 else f"EUR {value:,}", "MONEY")

    def fill(self, template: str, **known: str) -> str:
        """Fill {slots}: ``known`` values first, else a fresh entity (recorded only if written)."""
        makers = {"person": self.person, "org": self.org, "city": self.city, "date": self.date, "money": self.money,
                  "month": lambda: self.rng.choice(MONTHS), "dob": lambda: self.mention("4 May 1988", "DATE")}
        return re.sub(r"\{(\w+)\}", lambda m: known[m.group(1)] if m.group(1) in known else makers[m.group(1)](), template)


def _risks(bank: dict[str, str], rng: random.Random, chance: float) -> list[str]:
    return [flag for flag in sorted(bank) if rng.random() < chance]


def _contract(w: _Writer, rng: random.Random) -> dict:
    topic, keywords, body = rng.choice(CONTRACT_TOPICS)
    date, a = w.date(), w.org()
    city_a, b = w.city(), w.org(exclude=a)
    fee = w.money()
    flags = _risks(RISKY_CLAUSES, rng, 0.3)
    clauses = [w.fill(RISKY_CLAUSES[f], a=a, b=b) for f in flags]
    clauses += rng.sample(SAFE_CLAUSES[1:] if "long_payment_terms" in flags else SAFE_CLAUSES, 2)
    if rng.random() < 0.75:
        clauses.append(TERMINATION)
    else:
        flags.append("no_termination_clause")
    rng.shuffle(clauses)
    signer_a, signer_b = w.person(), w.person()
    text = (f"{topic.title()} agreement\nThis agreement is made on {date} between {a}, based in {city_a}, and {b}.\n"
            f"{w.fill(body, a=a, b=b)} The fee is {fee} per year.\n{' '.join(clauses)}\n"
            f"Signed for {a} by {signer_a} and for {b} by {signer_b}.")
    return {"doc_type": "contract", "title": f"{topic.title()} agreement", "text": text, "keywords": keywords,
            "sentiment": "neutral", "flags": flags}


def _memo(w: _Writer, rng: random.Random) -> dict:
    topic, keywords, sentiment, body = rng.choice(MEMO_TOPICS)
    author, date = w.person(), w.date()
    body = w.fill(body)
    flags = _risks(MEMO_RISKS, rng, 0.2)
    extras = "".join(w.fill(MEMO_RISKS[f]) + "\n" for f in flags)
    text = f"Internal memo on {topic}\nFrom {author}, {date}, to all staff.\n{body}\n{extras}Questions go to {author}."
    return {"doc_type": "memo", "title": f"Memo on {topic}", "text": text, "keywords": keywords,
            "sentiment": sentiment, "flags": flags}


def _complaint(w: _Writer, rng: random.Random) -> dict:
    topic, keywords, body = rng.choice(COMPLAINT_TOPICS)
    company = w.org()
    body = w.fill(body)
    flags = _risks(COMPLAINT_RISKS, rng, 0.3)
    extras = "".join(" " + COMPLAINT_RISKS[f] for f in flags)
    author = w.person()
    text = (f"Complaint about {topic}\nDear {company} customer service,\n{body} "
            f"{rng.choice(COMPLAINT_TONES)}{extras}\nRegards, {author}")
    return {"doc_type": "complaint", "title": f"Complaint about {topic}", "text": text, "keywords": keywords,
            "sentiment": "negative", "flags": flags}


def _report(w: _Writer, rng: random.Random) -> dict:
    topic, keywords, sentiment, body = rng.choice(REPORT_TOPICS)
    company, city, date = w.org(), w.city(), w.date()
    body = w.fill(body)
    flags = _risks(REPORT_RISKS, rng, 0.25)
    extras = "".join(" " + REPORT_RISKS[f] for f in flags)
    author = w.person()
    text = (f"Quarterly report on {topic}\nPrepared for {company}, {city} office, on {date}.\n{body}{extras}\n"
            f"Prepared by {author}.")
    return {"doc_type": "report", "title": f"Report on {topic}", "text": text, "keywords": keywords,
            "sentiment": sentiment, "flags": flags}


def business_documents(rng: random.Random) -> list[dict]:
    rows = []
    for make in (_contract, _memo, _complaint, _report):
        for _ in range(BUSINESS_DOCS_PER_TYPE):
            w = _Writer(rng)
            doc = make(w, rng)
            flags = doc.pop("flags")
            risk = "high" if any(f in HIGH_RISK for f in flags) else "low" if flags else "none"
            rows.append(doc | {"entities": w.entities, "compliance_flags": sorted(flags), "compliance_risk": risk})
    rng.shuffle(rows)
    return [{"id": f"d{i:03d}"} | row for i, row in enumerate(rows, 1)]


# =============================================================================
# 4. Documents for the pipeline (the sequential lesson)
# =============================================================================



# field -> label variants a document may use, with weights (rare variants test the extractor)
FIELD_LABELS: dict[str, list[tuple[str, int]]] = {
    "invoice_number": [("Invoice number", 5), ("Invoice No.", 4), ("Invoice #", 3)],
    "receipt_number": [("Receipt number", 5), ("Receipt #", 4), ("Transaction ID", 1)],
    "po_number": [("PO number", 5), ("Purchase order No.", 4), ("Order ref", 1)],
    "contract_number": [("Contract number", 5), ("Contract ref", 4)],
    "vendor": [("Vendor", 5), ("From", 4)],
    "customer": [("Bill to", 5), ("Customer", 4)],
    "merchant": [("Merchant", 5), ("Store", 4)],
    "buyer": [("Buyer", 5), ("Ordered by", 4)],
    "supplier": [("Supplier", 5), ("Vendor", 4)],
    "party_a": [("Client", 5), ("Party A", 4)],
    "party_b": [("Provider", 5), ("Party B", 4)],
    "issue_date": [("Invoice date", 5), ("Date", 4)],
    "due_date": [("Due date", 5), ("Payment due", 4), ("Remit by", 1)],
    "date": [("Date", 5), ("Purchased on", 3)],
    "order_date": [("Order date", 5), ("Date", 4)],
    "delivery_date": [("Delivery date", 5), ("Deliver by", 4)],
    "effective_date": [("Effective date", 5), ("Start date", 4)],
    "end_date": [("End date", 5), ("Expires", 4)],
    "payment_method": [("Payment method", 5), ("Paid by", 4)],
    "item": [("Item", 5), ("Description", 4)],
    "quantity": [("Quantity", 5), ("Qty", 4)],
    "unit_price": [("Unit price", 5), ("Price each", 4)],
    "subtotal": [("Subtotal", 5), ("Net amount", 4)],
    "tax": [("Tax", 5), ("VAT", 4)],
    "total": [("Total", 5), ("Amount due", 4), ("Total due", 2)],
    "value": [("Contract value", 5), ("Total value", 4)],
}
DOC_FIELDS = {  # every field is required; validation reports the missing ones
    "invoice": ["invoice_number", "vendor", "customer", "issue_date", "due_date", "currency", "subtotal", "tax", "total"],
    "receipt": ["receipt_number", "merchant", "date", "payment_method", "currency", "subtotal", "tax", "total"],
    "purchase_order": ["po_number", "buyer", "supplier", "order_date", "delivery_date", "currency", "item", "quantity",
                       "unit_price", "total"],
    "contract": ["contract_number", "party_a", "party_b", "effective_date", "end_date", "currency", "value"],
}
TITLES = {"invoice": ["INVOICE", "Tax invoice"], "receipt": ["RECEIPT", "Sales receipt"],
          "purchase_order": ["PURCHASE ORDER", "Purchase order"], "contract": ["SERVICE CONTRACT", "Contract summary"]}
DEFECTS = {  # the planted problems, named as validation reports them
    "invoice": ["total_mismatch", "due_before_issue", "missing:invoice_number", "missing:due_date"],
    "receipt": ["total_mismatch", "negative_amount", "missing:date"],
    "purchase_order": ["total_mismatch", "delivery_before_order", "missing:po_number"],
    "contract": ["end_before_start", "missing:party_b", "negative_amount"],
}
STORES = ["Corner Books", "Greenleaf Market", "Pixel Electronics", "Harbour Cafe", "Summit Outdoor"]
GOODS = ["ergonomic chairs", "laser printers", "safety helmets", "network switches", "paper reams"]
PIPELINE_DOCS_PER_TYPE, INVALID_PER_TYPE = 12, 4


def _money_text(amount: float, currency: str, rng: random.Random) -> str:
    number = f"{amount:,.2f}"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}[currency]
    style = rng.choice(["symbol", "symbol", "code_before", "code_after"])
    if style == "symbol":
        return f"-{symbol}{number[1:]}" if amount < 0 else f"{symbol}{number}"
    return f"{currency} {number}" if style == "code_before" else f"{number} {currency}"


def _date_text(day: dt.date, rng: random.Random) -> str:
    style = rng.choices(["iso", "long", "us_words", "us_slash"], weights=[4, 4, 3, 1])[0]
    if style == "iso":
        return day.isoformat()
    if style == "long":
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    if style == "us_words":
        return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"
    return f"{day.month:02d}/{day.day:02d}/{day.year}"  # month first: a classic extraction trap


def _values(doc_type: str, rng: random.Random) -> dict:
    """Consistent field values for one document (defects are planted afterwards)."""
    start = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(330))
    currency = rng.choice(["USD", "USD", "EUR", "GBP"])
    orgs = rng.sample(ORGS, 2)
    if doc_type == "invoice":
        subtotal = rng.choice([480, 1250, 2999.5, 7400, 15820.75])
        tax = round(subtotal * rng.choice([0, 0.1, 0.2]), 2)
        return {"invoice_number": f"INV-2025-{rng.randrange(1000, 9999)}", "vendor": orgs[0], "customer": orgs[1],
                "issue_date": start, "due_date": start + dt.timedelta(days=rng.choice([14, 30, 45])),
                "currency": currency, "subtotal": subtotal, "tax": tax, "total": round(subtotal + tax, 2)}
    if doc_type == "receipt":
        subtotal = rng.choice([4.5, 18.99, 36, 129.95, 64.2])
        tax = round(subtotal * rng.choice([0.05, 0.1, 0.2]), 2)
        return {"receipt_number": f"R-{rng.randrange(100000, 999999)}", "merchant": rng.choice(STORES), "date": start,
                "payment_method": rng.choice(["card", "cash", "mobile wallet"]), "currency": currency,
                "subtotal": subtotal, "tax": tax, "total": round(subtotal + tax, 2)}
    if doc_type == "purchase_order":
        quantity, unit_price = rng.choice([2, 5, 12, 40]), rng.choice([15.0, 89.9, 240.0, 1150.0])
        return {"po_number": f"PO-{rng.randrange(10000, 99999)}", "buyer": orgs[0], "supplier": orgs[1],
                "order_date": start, "delivery_date": start + dt.timedelta(days=rng.choice([7, 21, 30])),
                "currency": currency, "item": rng.choice(GOODS), "quantity": quantity, "unit_price": unit_price,
                "total": round(quantity * unit_price, 2)}
    return {"contract_number": f"CT-{rng.randrange(1000, 9999)}", "party_a": orgs[0], "party_b": orgs[1],
            "effective_date": start, "end_date": start + dt.timedelta(days=rng.choice([365, 730])),
            "currency": currency, "value": float(rng.choice([12000, 56000, 240000]))}


def _plant(defect: str, fields: dict, rng: random.Random) -> None:
    """Break one rule on purpose, so validation has something to catch."""
    if defect.startswith("missing:"):
        fields[defect.split(":")[1]] = None
    elif defect == "total_mismatch":
        fields["total"] = round(fields["total"] + rng.choice([10, 100, 0.9]), 2)
    elif defect == "negative_amount":
        key = "total" if "total" in fields else "value"
        fields[key] = -fields[key]
        if "subtotal" in fields:
            fields["subtotal"], fields["tax"] = -fields["subtotal"], -fields["tax"]
    else:  # a date before the one it must follow
        late, early = {"due_before_issue": ("due_date", "issue_date"), "delivery_before_order": ("delivery_date", "order_date"),
                       "end_before_start": ("end_date", "effective_date")}[defect]
        fields[late] = fields[early] - dt.timedelta(days=rng.choice([3, 10, 30]))


def _render(doc_type: str, fields: dict, rng: random.Random) -> str:
    lines = [rng.choice(TITLES[doc_type])]
    for name in DOC_FIELDS[doc_type]:
        value = fields[name]
        if name == "currency" or value is None:
            continue  # the currency shows in the amounts; a missing field is simply absent
        labels, weights = zip(*FIELD_LABELS[name])
        if isinstance(value, dt.date):
            value = _date_text(value, rng)
        elif name in ("subtotal", "tax", "total", "unit_price", "value"):
            value = _money_text(value, fields["currency"], rng)
        lines.append(f"{rng.choices(labels, weights=weights)[0]}: {value}")
    lines.append(rng.choice(["Thank you for your business.", "Keep this document for your records.", ""]))
    return "\n".join(line for line in lines if line)


def pipeline_documents(rng: random.Random) -> list[dict]:
    rows = []
    for doc_type in DOC_FIELDS:
        defects = [rng.choice(DEFECTS[doc_type]) for _ in range(INVALID_PER_TYPE)]
        defects += [""] * (PIPELINE_DOCS_PER_TYPE - INVALID_PER_TYPE)
        for defect in defects:
            fields = _values(doc_type, rng)
            if defect:
                _plant(defect, fields, rng)
            text = _render(doc_type, fields, rng)
            expected = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in fields.items()}
            rows.append({"doc_type": doc_type, "text": text, "fields": expected, "valid": not defect,
                         "problems": [defect] if defect else []})
    rng.shuffle(rows)
    return [{"id": f"p{i:03d}"} | row for i, row in enumerate(rows, 1)]


# =============================================================================
# 5. Healthcare cases (the combined lesson). FICTIONAL, FOR TEACHING ORCHESTRATION, NOT MEDICAL ADVICE.
# =============================================================================

# The rules below are simplified textbook examples chosen so a pipeline has something to find;
# they are not clinical guidance and must not be used as such.
CONDITIONS = {"E11": "type 2 diabetes", "I10": "hypertension", "N18": "chronic kidney disease", "J45": "asthma",
              "I48": "atrial fibrillation", "I50": "heart failure", "E03": "hypothyroidism", "M16": "hip osteoarthritis"}
CONDITION_MEDS = {"E11": ["metformin 500 mg twice daily"], "I10": ["lisinopril 10 mg once daily"], "N18": [],
                  "J45": ["salbutamol inhaler as needed"], "I48": ["warfarin 5 mg once daily"],
                  "I50": ["furosemide 40 mg once daily", "spironolactone 25 mg once daily"],
                  "E03": ["levothyroxine 100 mcg once daily"], "M16": ["ibuprofen 400 mg three times daily"]}
EXTRA_MEDS = ["ibuprofen 400 mg as needed", "naproxen 250 mg twice daily", "propranolol 40 mg twice daily",
              "atorvastatin 20 mg once daily", "omeprazole 20 mg once daily"]
BRANDS = {"metformin": "Glucophage", "ibuprofen": "Advil", "warfarin": "Coumadin"}  # sometimes written by brand
# test -> (unit, normal low, normal high, critical low, critical high); None = no such limit
LABS = {"potassium": ("mmol/L", 3.5, 5.0, 2.8, 6.0), "sodium": ("mmol/L", 135, 145, 125, 155),
        "eGFR": ("mL/min/1.73m2", 60, None, None, None), "HbA1c": ("%", None, 8.0, None, None),
        "glucose": ("mmol/L", 3.9, 11.1, 3.0, 25.0), "hemoglobin": ("g/dL", 12.0, None, 7.0, None),
        "INR": ("", None, 3.0, None, 5.0), "TSH": ("mIU/L", 0.4, 4.0, None, None)}
LAB_ALIASES = {"potassium": "K", "eGFR": "estimated GFR", "hemoglobin": "Hb", "glucose": "blood sugar"}
SETTINGS = {"real_time": ["seen in the emergency department", "admitted to the acute medical ward"],
            "batch": ["seen at the annual review clinic", "reviewed by routine outpatient letter",
                      "with results from the overnight lab batch"]}
HEALTHCARE_CASES = 48


NORMAL_RANGE = {"potassium": (3.8, 4.8), "sodium": (137, 143), "eGFR": (62, 95), "HbA1c": (5.4, 7.6),
                "glucose": (4.5, 8.5), "hemoglobin": (12.5, 15.5), "INR": (2.0, 2.9), "TSH": (0.8, 3.5)}


def _lab_value(test: str, rng: random.Random, state: str = "normal") -> float:
    """A value that is "normal", "abnormal" (outside the normal range) or "critical"."""
    _, low, high, crit_low, crit_high = LABS[test]
    if state == "normal":
        return round(rng.uniform(*NORMAL_RANGE[test]), 1)
    side = rng.choice([s for s, limit in (("high", high), ("low", low)) if limit is not None])
    limit, critical = (high, crit_high) if side == "high" else (low, crit_low)
    if state == "critical":
        return round(critical * (1.04 if side == "high" else 0.9), 1)
    far = critical if critical is not None else limit * (1.3 if side == "high" else 0.5)
    return round(limit + (far - limit) * rng.uniform(0.2, 0.8), 1)


# How a case is set up: which contraindication to plant and what it needs.
CONTRA_SETUPS = {
    "metformin_low_egfr": {"conditions": ["E11"], "meds": [], "labs": {"eGFR": (18, 29)}},
    "nsaid_kidney": {"conditions": ["N18"], "meds": ["ibuprofen 400 mg as needed"], "labs": {"eGFR": (35, 55)}},
    "nsaid_anticoagulant": {"conditions": ["I48"], "meds": ["naproxen 250 mg twice daily"], "labs": {}},
    "potassium_raising_drug": {"conditions": ["I50"], "meds": [], "labs": {"potassium": (5.6, 5.9)}},
    "beta_blocker_asthma": {"conditions": ["J45"], "meds": ["propranolol 40 mg twice daily"], "labs": {}},
}
STORY_WEIGHTS = {"real_time": {"routine": 1, "abnormal": 2, "contra": 2, "critical": 4},
                 "batch": {"routine": 3, "abnormal": 3, "contra": 2, "critical": 1}}


def clinical_truth(conditions: list[str], meds: list[str], labs: dict[str, float]) -> tuple[list[str], str]:
    """The expected flags and recommendation category (the data card states these rules)."""
    flags, critical = [], False
    for test, value in labs.items():
        _, low, high, crit_low, crit_high = LABS[test]
        if low is not None and value < low:
            flags.append(f"lab:{test.lower()}_low")
        if high is not None and value > high:
            flags.append(f"lab:{test.lower()}_high")
        critical |= (crit_low is not None and value < crit_low) or (crit_high is not None and value > crit_high)
    drugs = " ".join(meds)
    nsaid = "ibuprofen" in drugs or "naproxen" in drugs
    if "metformin" in drugs and labs.get("eGFR", 99) < 30:
        flags.append("contra:metformin_low_egfr")
    if nsaid and ("N18" in conditions or labs.get("eGFR", 99) < 60):
        flags.append("contra:nsaid_kidney")
    if nsaid and "warfarin" in drugs:
        flags.append("contra:nsaid_anticoagulant")
    if ("spironolactone" in drugs or "lisinopril" in drugs) and labs.get("potassium", 0) > 5.5:
        flags.append("contra:potassium_raising_drug")
    if "propranolol" in drugs and "J45" in conditions:
        flags.append("contra:beta_blocker_asthma")
    if critical:
        return sorted(flags), "urgent_review"
    if any(f.startswith("contra:") for f in flags):
        return sorted(flags), "medication_review"
    return sorted(flags), "repeat_tests" if flags else "routine_follow_up"


def _case(urgency: str, rng: random.Random) -> tuple[list[str], list[str], dict[str, float]]:
    """Conditions, medications and labs for one case, following a randomly chosen story."""
    weights = STORY_WEIGHTS[urgency]
    story = rng.choices(sorted(weights), weights=[weights[k] for k in sorted(weights)])[0]
    codes = sorted(CONDITIONS)
    setup = CONTRA_SETUPS[rng.choice(sorted(CONTRA_SETUPS))] if story == "contra" else None
    conditions = list(setup["conditions"]) if setup else [rng.choice(codes)]
    conditions += rng.sample([c for c in codes if c not in conditions], rng.choice([0, 1, 1, 2]))
    meds = [m for c in conditions for m in CONDITION_MEDS[c]]
    meds += [m for m in (setup["meds"] if setup else []) if m.split()[0] not in " ".join(meds)]
    if story != "contra" and rng.random() < 0.2:  # an extra medicine, harmless or not: the rules decide
        meds.append(rng.choice([m for m in EXTRA_MEDS if m.split()[0] not in " ".join(meds)]))
    tests = ["potassium", "sodium", "eGFR"] + (["HbA1c", "glucose"] if "E11" in conditions else [])
    tests += (["INR"] if any("warfarin" in m for m in meds) else []) + (["TSH"] if "E03" in conditions else [])
    tests += ["hemoglobin"] if rng.random() < 0.4 else []
    labs = {test: _lab_value(test, rng) for test in tests}
    if story in ("abnormal", "critical"):
        for test in rng.sample(tests, 1 if story == "critical" else rng.choice([1, 2])):
            with_critical = [t for t in tests if LABS[t][3] is not None or LABS[t][4] is not None]
            test = rng.choice(with_critical) if story == "critical" else test
            labs[test] = _lab_value(test, rng, story)
    for test, (low, high) in (setup["labs"] if setup else {}).items():
        labs[test] = round(rng.uniform(low, high), 1)
    return conditions, meds, labs


def healthcare_cases(rng: random.Random) -> list[dict]:
    rows = []
    for i in range(1, HEALTHCARE_CASES + 1):
        urgency = "real_time" if rng.random() < 0.4 else "batch"
        conditions, meds, labs = _case(urgency, rng)
        flags, recommendation = clinical_truth(conditions, meds, labs)
        code, others = conditions[0], conditions[1:]
        age, sex = rng.randint(34, 89), rng.choice(["woman", "man"])
        med_text = [BRANDS.get(m.split()[0], m.split()[0]) + m[len(m.split()[0]):] if rng.random() < 0.15 else m for m in meds]
        lab_text = [f"{LAB_ALIASES[t] if t in LAB_ALIASES and rng.random() < 0.15 else t} {v:g} {LABS[t][0]}".rstrip()
                    for t, v in labs.items()]
        text = (f"Case h{i:03d} (fictional). {age}-year-old {sex} {rng.choice(SETTINGS[urgency])}.\n"
                f"Condition: {code} {CONDITIONS[code]}.\n"
                f"History: {', '.join(CONDITIONS[c] for c in others) if others else 'none recorded'}.\n"
                f"Medications: {'; '.join(med_text) if med_text else 'none'}.\n"
                f"Recent labs: {'; '.join(lab_text)}.")
        rows.append({"id": f"h{i:03d}", "urgency": urgency, "age": age, "sex": sex, "condition_code": code,
                     "history": [CONDITIONS[c] for c in others], "medications": meds,
                     "labs": [{"test": t, "value": v, "unit": LABS[t][0]} for t, v in labs.items()],
                     "text": text, "expected_flags": flags, "recommendation": recommendation})
    return rows


# =============================================================================
# Write everything
# =============================================================================


def main(out_dir: Path = HERE) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)  # one generator, used in a fixed order: the same files on every run
    write_csv(out_dir / "customer_queries.csv", ["id", "text", "label", "intent", "kind", "secondary", "split"],
              sorted(customer_queries(rng), key=lambda r: r["id"]))
    write_csv(out_dir / "enterprise_requests.csv", ["id", "text", "category", "amount_usd", "label", "reason", "split"],
              enterprise_requests(rng))
    write_jsonl(out_dir / "business_documents.jsonl", business_documents(rng))
    write_jsonl(out_dir / "pipeline_documents.jsonl", pipeline_documents(rng))
    write_jsonl(out_dir / "healthcare_cases.jsonl", healthcare_cases(rng))
    print(f"wrote the data sets to {out_dir}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
