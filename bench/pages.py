"""CRM page latency at scale: `python bench/pages.py`.

Loads bench/match.py's contacts (1,000,000 by default, with companies and ~1.2 numbers each),
then call logs, message logs and notes spread over BENCH_AGENTS agents and the 90 days before
the data's date, into a database of its own next to the configured one
(`<name>_bench_pages`). It then requests the CRM pages people use all day through Django's test
Client, signed in as an agent and as a supervisor, with DEBUG off, and reports p50/p99 latency
per page: the whole server side (middleware, session, queries, template), not the network.

The data is deterministic, so a second run with the same sizes reuses the loaded database;
--reload forces a fresh load and --drop removes the database afterwards. The last line of output
is one JSON object: a key per page with p50/p99 in ms per role, and the row counts.
"""

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import match  # bench/match.py: the contacts and their loader

DATA_VERSION = 1
SEED = 20260302
ANCHOR = datetime(2026, 3, 1, tzinfo=UTC)  # the data's "now"; logs span the 90 days before it
DAYS = 90
BENCH_AGENTS = 20
AGENT = "bench-agent-{:02d}"
SUPERVISOR = "bench-supervisor"
BUSY_CONTACTS = (1, 2, 3, 4, 5)  # the skewed draw gives the lowest ids the most activity
OFFICE = "+14155550100"

CALL_COLUMNS = (
    "id, rc_id, session_id, telephony_session_id, call_type, direction, action, result, reason, "
    "start_time, duration_seconds, from_number, from_name, from_extension_number, to_number, "
    "to_name, to_extension_number, remote_number, remote_e164, remote_national, remote_tail, "
    "agent_id, contact_id, recording_id, recording_content_uri, recording_type, "
    "recording_duration_seconds, disposition_id, notes, rc_last_modified, created_at, updated_at"
)
MESSAGE_COLUMNS = (
    "id, rc_id, conversation_id, message_type, direction, status, read_status, subject, "
    'from_number, from_name, "to", remote_number, remote_e164, remote_national, remote_tail, '
    "attachments, fax_page_count, creation_time, agent_id, contact_id, rc_last_modified, "
    "created_at, updated_at"
)
NOTE_COLUMNS = "id, contact_id, author_id, body, created_at, updated_at"
LOG_TABLES = "crm_calllog, crm_messagelog, crm_note"
SMS_TEXTS = (
    "Thanks, talk tomorrow",
    "Can you send the quote again?",
    "Running 10 minutes late",
    "Invoice paid, thanks",
    "Please call me back when you can",
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--notes", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--only", help="comma-separated page names to time (default: all)")
    parser.add_argument("--database", help="database name (default: <configured>_bench_pages)")
    parser.add_argument("--reload", action="store_true", help="reload even if the data is there")
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    return parser.parse_args()


# --- Deterministic data ----------------------------------------------------------------------


class People:
    """What the logs need to know about the loaded contacts: their mobile numbers and names."""

    def __init__(self, count: int, numbers: match.Numbers) -> None:
        self.count, self.numbers = count, numbers
        self.first, self.last = match.FIRST.split(), match.LAST.split()

    def pick(self, rng: random.Random) -> int:
        """A contact id, skewed: a few contacts have most of the activity, as in real books."""
        return 1 + min(self.count - 1, int(self.count * rng.random() ** 2))

    def phone(self, contact_id: int) -> tuple[str, str]:
        """(e164, national) of the contact's mobile, as bench/match.py loads it."""
        i = contact_id - 1
        if i % 10 == 9:
            national = self.numbers.uk(i)
            return "+44" + national, national
        national = self.numbers.us(i)
        return "+1" + national, national

    def stranger(self, rng: random.Random) -> tuple[str, str]:
        national = self.numbers.miss(rng.randrange(8_000_000))
        return "+1" + national, national


def _party(people: People, rng: random.Random) -> tuple[int | None, str, str, str]:
    """(contact_id, e164, national, name) of a log's other party: mostly a contact, sometimes a
    contact's number not linked (added after the call), often a number nobody has."""
    roll = rng.random()
    if roll < 0.72:
        contact_id = people.pick(rng)
        e164, national = people.phone(contact_id)
        if roll < 0.70:
            return contact_id, e164, national, rng.choice(people.first)
        return None, e164, national, ""
    e164, national = people.stranger(rng)
    return None, e164, national, rng.choice(["", "WIRELESS CALLER", "TOLL FREE"])


def _at(i: int, count: int, rng: random.Random) -> datetime:
    """Logs arrive in time order: row i is near i/count of the way through the 90 days."""
    span = DAYS * 86400
    return ANCHOR - timedelta(seconds=span - span * (i + rng.random()) / count)


def call_rows(count: int, people: People, agents: list[int], dispositions: list[int]):
    rng = random.Random(SEED)
    for i in range(count):
        contact_id, e164, national, name = _party(people, rng)
        at = _at(i, count, rng)
        agent = rng.choice(agents)
        inbound = rng.random() < 0.55
        if inbound:
            result = rng.choices(["Accepted", "Missed", "Voicemail"], [70, 20, 10])[0]
            from_number, from_name, to_number, to_name = e164, name, OFFICE, ""
        else:
            result = rng.choices(["Call connected", "No Answer", "Busy"], [80, 15, 5])[0]
            from_number, from_name, to_number, to_name = OFFICE, "", e164, name
        talked = result in ("Accepted", "Call connected")
        duration = rng.randrange(20, 1800) if talked else rng.randrange(0, 40)
        recorded = talked and rng.random() < 0.3
        disposition = rng.choice(dispositions) if talked and rng.random() < 0.3 else None
        yield (
            i + 1,
            f"bc{i + 1}",
            f"s{i + 1}",
            f"ts-{i + 1}",
            "Voice",
            "Inbound" if inbound else "Outbound",
            "Phone Call" if inbound else "RingOut Web",
            result,
            "",
            at,
            duration,
            from_number,
            from_name,
            "",
            to_number,
            to_name,
            "",
            e164,
            e164,
            national,
            national[-7:],
            agent,
            contact_id,
            f"rec{i + 1}" if recorded else "",
            f"https://media.example.com/recording/rec{i + 1}/content" if recorded else "",
            "Automatic" if recorded else "",
            duration if recorded else None,
            disposition,
            "Asked for pricing" if disposition and rng.random() < 0.5 else "",
            at,
            at,
            at,
        )


def message_rows(count: int, people: People, agents: list[int]):
    rng = random.Random(SEED + 1)
    for i in range(count):
        contact_id, e164, national, name = _party(people, rng)
        at = _at(i, count, rng)
        kind = rng.choices(["SMS", "VoiceMail", "Fax"], [80, 15, 5])[0]
        inbound = kind != "SMS" or rng.random() < 0.5
        subject = rng.choice(SMS_TEXTS) if kind == "SMS" else ""
        if inbound:
            from_number, from_name, to = e164, name, [{"phoneNumber": OFFICE}]
        else:
            from_number, from_name = OFFICE, ""
            to = [{"phoneNumber": e164, "name": name}] if name else [{"phoneNumber": e164}]
        yield (
            i + 1,
            f"bm{i + 1}",
            f"conv{e164[1:]}",
            kind,
            "Inbound" if inbound else "Outbound",
            "Received" if inbound else "Delivered",
            rng.choice(["Read", "Read", "Unread"]),
            subject,
            from_number,
            from_name,
            json.dumps(to),
            e164,
            e164,
            national,
            national[-7:],
            "[]",
            rng.randrange(1, 6) if kind == "Fax" else None,
            at,
            rng.choice(agents),
            contact_id,
            at,
            at,
            at,
        )


def note_rows(count: int, people: People, agents: list[int]):
    rng = random.Random(SEED + 2)
    for i in range(count):
        at = _at(i, count, rng)
        body = rng.choice(["Called back, ", "Emailed, ", "Met, "]) + rng.choice(SMS_TEXTS)
        yield (i + 1, people.pick(rng), rng.choice(agents), body, at, at)


# --- Loading ---------------------------------------------------------------------------------


def logs_label(args: argparse.Namespace) -> str:
    return (
        f"bench/pages.py data v{DATA_VERSION}, {args.calls} calls, {args.messages} messages, "
        f"{args.notes} notes"
    )


def bench_users():
    """The agents and the supervisor the pages are requested as (created once, then reused)."""
    from crm.models import User
    from crm.roles import AGENTS, SUPERVISORS, assign_role

    def user(username: str, role: str, first: str, last: str) -> User:
        found, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            found.set_unusable_password()
            found.save()
            assign_role(found, role)
        return found

    agents = [
        user(AGENT.format(n), AGENTS, "Agent", f"{n:02d}") for n in range(1, BENCH_AGENTS + 1)
    ]
    return agents, user(SUPERVISOR, SUPERVISORS, "Super", "Visor")


def load_logs(args: argparse.Namespace, people: People, agents: list[int]) -> float:
    from django.db import connection

    from crm.models import Disposition

    started = time.perf_counter()
    dispositions = list(Disposition.objects.values_list("pk", flat=True))
    connection.ensure_connection()
    match.copy_tables(
        connection.connection,
        [
            ("crm_calllog", CALL_COLUMNS, call_rows(args.calls, people, agents, dispositions)),
            ("crm_messagelog", MESSAGE_COLUMNS, message_rows(args.messages, people, agents)),
            ("crm_note", NOTE_COLUMNS, note_rows(args.notes, people, agents)),
        ],
        truncate=LOG_TABLES,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"COMMENT ON TABLE crm_calllog IS '{logs_label(args)}'")
    return time.perf_counter() - started


def check_sample(people: People) -> None:
    """The logs' remote columns must be what the upserts store, or the pages would show
    timelines the service never builds."""
    from crm.phones import incoming_number

    rng = random.Random(SEED + 3)
    for _ in range(500):
        _contact, e164, national, _name = _party(people, rng)
        incoming = incoming_number(e164)
        got = (incoming.e164, incoming.fallback_number, incoming.tail)
        if got != (e164, national, national[-7:]):
            raise SystemExit(f"generated {e164} as {national}, the service reads {got}")


# --- Timing ----------------------------------------------------------------------------------


def cases(people: People, agents, supervisor) -> list[tuple[str, list[str], list[str]]]:
    """(page name, URLs to cycle through, a text each answer must contain)."""
    from crm.models import CallLog, Company, Contact

    rng = random.Random(SEED + 4)
    words = ["walsh", "okafor", "tanaka", "mia", "noah", "rosa", "varga", "quinn"]
    email_ids = [people.pick(rng) for _ in range(20)]
    emails = list(Contact.objects.filter(pk__in=email_ids).values_list("pk", "email"))
    phone_ids = [people.pick(rng) for _ in range(20)]
    phone_urls, phone_expect = [], []
    for n, cid in enumerate(phone_ids):
        e164, national = people.phone(cid)
        if e164.startswith("+1"):
            formats = [e164, e164[1:], f"({national[:3]}) {national[3:6]}-{national[6:]}"]
            formats.append(f"{national[:3]}.{national[3:6]}.{national[6:]}")
        else:
            formats = [e164, f"+44 {national[:2]} {national[2:6]} {national[6:]}"]
        phone_urls.append("/contacts/?q=" + quote(formats[n % len(formats)]))
        phone_expect.append(f"/contacts/{cid}/")
    days = [(ANCHOR - timedelta(days=7 * w + 7)).date() for w in range(8)]
    ranges = [f"date_from={d.isoformat()}&date_to={(d + timedelta(6)).isoformat()}" for d in days]
    company = Company.objects.get(contacts__pk=BUSY_CONTACTS[0])
    agent_calls = list(
        CallLog.objects.filter(agent=agents[0]).order_by("?").values_list("pk", flat=True)[:50]
    )
    busy = [f"/contacts/{cid}/" for cid in BUSY_CONTACTS]
    agent_ids = [a.pk for a in agents]
    out = [
        ("contacts", ["/contacts/"], []),
        ("contacts_deep_page", ["/contacts/?page=2000"], []),
        ("contacts_search_name", [f"/contacts/?q={w}" for w in words], []),
        (
            "contacts_search_email",
            [f"/contacts/?q={quote(email.split('@')[0][-12:])}" for _pk, email in emails],
            [f"/contacts/{pk}/" for pk, _email in emails],
        ),
        ("contacts_search_phone", phone_urls, phone_expect),
        ("contact_detail", busy, []),
        ("companies", ["/companies/"], []),
        ("company_detail", [f"/companies/{company.pk}/"], []),
    ]
    for kind in ("calls", "messages"):
        out += [
            (kind, [f"/{kind}/"], []),
            (
                f"{kind}_direction",
                [f"/{kind}/?direction=Inbound", f"/{kind}/?direction=Outbound"],
                [],
            ),
            (f"{kind}_date_range", [f"/{kind}/?{r}" for r in ranges], []),
            (f"{kind}_contact", [f"/{kind}/?contact={cid}" for cid in BUSY_CONTACTS], []),
            (f"{kind}_agent", [f"/{kind}/?agent={a}" for a in agent_ids], []),
        ]
    out.append(("call_detail", [f"/calls/{pk}/" for pk in agent_calls], []))
    return out


def quote(text: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(text)


def time_page(client, urls: list[str], expect: list[str], requests: int) -> list[float]:
    for n in range(min(len(urls) * 2, 20)):  # warm the caches and the connection
        client.get(urls[n % len(urls)])
    latencies = []
    for n in range(requests):
        url = urls[n % len(urls)]
        t0 = time.perf_counter_ns()
        response = client.get(url)
        latencies.append((time.perf_counter_ns() - t0) / 1e6)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
        if expect and expect[n % len(expect)].encode() not in response.content:
            raise SystemExit(f"{url}: the answer does not have {expect[n % len(expect)]}")
    return latencies


def main() -> None:
    args = parse_args()
    url, maintenance_url = match.setup_django(args.database, suffix="_bench_pages")
    from django.db import connection
    from django.test import Client

    from crm.models import CallLog, Contact, ContactPhone, MessageLog, Note

    numbers = match.Numbers()
    match.check_sample(args.contacts, numbers)
    people = People(args.contacts, numbers)
    check_sample(people)
    agents, supervisor = bench_users()
    with connection.cursor() as cursor:
        have_contacts = match.loaded_label(cursor)
        cursor.execute("SELECT obj_description('crm_calllog'::regclass, 'pg_class')")
        have_logs = cursor.fetchone()[0]
    load_seconds = 0.0
    db_name = connection.settings_dict["NAME"]
    if have_contacts != match.data_label(args.contacts) or args.reload:
        print(f"loading {args.contacts} contacts into {db_name}")
        load_seconds += match.load(args.contacts, numbers)
        have_logs = None  # loading contacts truncates the logs (CASCADE)
    if have_logs != logs_label(args) or args.reload:
        print(f"loading {args.calls} calls, {args.messages} messages, {args.notes} notes")
        load_seconds += load_logs(args, people, [a.pk for a in agents])
        print(f"loaded in {load_seconds:.1f}s")
        with connection.cursor() as cursor:
            # What autovacuum does soon after a bulk load: the visibility map lets deep pages
            # walk their ids with index-only scans.
            cursor.execute(f"VACUUM ANALYZE {', '.join(match.TABLES)}, {LOG_TABLES}")
    else:
        print(f"reusing {have_contacts}; {have_logs} in {db_name} (--reload to reload)")

    only = set(args.only.split(",")) if args.only else None
    results: dict = {}
    for role, user in (("agent", agents[0]), ("supervisor", supervisor)):
        client = Client()
        client.force_login(user)
        for name, urls, expect in cases(people, agents, supervisor):
            if only and name not in only:
                continue
            if name.endswith("_agent") and role == "agent":
                continue  # agents have no agent filter (the field is not offered)
            latencies = time_page(client, urls, expect, args.requests)
            page = results.setdefault(name, {})
            page[f"{role}_p50_ms"] = round(match.percentile(latencies, 50), 1)
            page[f"{role}_p99_ms"] = round(match.percentile(latencies, 99), 1)
            print(
                f"{role:>10} {name:<24} p50 {page[f'{role}_p50_ms']:7.1f} ms  "
                f"p99 {page[f'{role}_p99_ms']:7.1f} ms"
            )
    results["counts"] = {
        "contacts": Contact.objects.count(),
        "phones": ContactPhone.objects.count(),
        "calls": CallLog.objects.count(),
        "messages": MessageLog.objects.count(),
        "notes": Note.objects.count(),
        "requests_per_page": args.requests,
        "load_seconds": round(load_seconds, 1) if load_seconds else None,
    }
    connection.close()
    if args.drop:
        match.ensure_database(url, maintenance_url, drop=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
