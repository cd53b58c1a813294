"""Caller-matching latency at scale: `python bench/match.py --contacts 1000000`.

Loads that many contacts (with companies and ~1.2 phone numbers each, in the formats people
type) into a PostgreSQL database of its own, next to the configured one (`<name>_bench_match`,
so test and demo data are never touched), then times `crm.matching.contact_match_number` for
numbers that match (in several formats) and numbers that do not.

The data is deterministic, so a second run with the same --contacts reuses the loaded database;
--reload forces a fresh load and --drop removes the database afterwards. Loading uses COPY with
the secondary indexes dropped and rebuilt afterwards.

Runs with DEBUG off (no query logging), as production does. The last line of output is one JSON
object: contacts, hit_p50_ms, hit_p99_ms, miss_p50_ms, miss_p99_ms and more.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 20260301
# Bump when the generated data changes, so a database loaded by an older version is reloaded.
DATA_VERSION = 2
CONTACTS_PER_COMPANY = 50
FIRST = "Ada Alan Alex Amir Ana Ben Bea Cara Chen Dan Dee Eli Emma Finn Gia Hana Ian Ivy Jo Kai "
FIRST += "Lea Leo Lin Mae Max Mia Nia Noah Omar Pia Raj Rosa Sam Sara Tom Uma Vic Wes Yara Zoe"
LAST = "Abbott Baker Chen Diaz Evans Fischer Garcia Hughes Ito Jones Khan Lopez Meyer Nguyen "
LAST += "Okafor Patel Quinn Rossi Silva Tanaka Ueda Varga Walsh Xu Young Zhang"
TITLES = ["", "CEO", "CTO", "VP Sales", "Buyer", "Office Manager", "Engineer", "Procurement"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000, help="timed lookups of each kind")
    parser.add_argument("--database", help="database name (default: <configured>_bench_match)")
    parser.add_argument("--reload", action="store_true", help="reload even if the data is there")
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    return parser.parse_args()


def bench_database_url(name: str | None, suffix: str = "_bench_match") -> tuple[str, str]:
    """The configured DATABASE_URL with its database name replaced, and the maintenance URL."""
    from dotenv import load_dotenv

    load_dotenv(os.environ.get("ENV_FILE") or ROOT / ".env")
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        raise SystemExit("the benchmarks need PostgreSQL: set DATABASE_URL=postgres://...")
    parts = urlsplit(configured)
    bench_name = name or parts.path.lstrip("/") + suffix
    return (
        urlunsplit(parts._replace(path="/" + bench_name)),
        urlunsplit(parts._replace(path="/postgres")),
    )


def ensure_database(url: str, maintenance_url: str, *, drop: bool = False) -> None:
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if drop:
            if exists:
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
                print(f"dropped database {name}")
        elif not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


# --- Deterministic data ----------------------------------------------------------------------


def us_area_codes() -> list[int]:
    import phonenumbers

    # Area codes where any exchange and line is valid (some Caribbean ones allow only a few).
    samples = [f"{exchange}{exchange * 7 % 10_000:04d}" for exchange in range(200, 1000, 7)]
    return [
        npa
        for npa in range(201, 990)
        if all(phonenumbers.is_valid_number(phonenumbers.parse(f"+1{npa}{s}")) for s in samples)
    ]


class Numbers:
    """Unique, valid numbers by index. The last MISS_AREAS area codes are never loaded, so
    numbers built on them are guaranteed misses."""

    MISS_AREAS = 20

    def __init__(self) -> None:
        areas = us_area_codes()
        self.areas, self.miss_areas = areas[: -self.MISS_AREAS], areas[-self.MISS_AREAS :]

    @staticmethod
    def _line(k: int) -> int:
        # 2654435761 is coprime with 8_000_000, so this is a bijection on k < 8M.
        return 2_000_000 + (k * 2_654_435_761) % 8_000_000

    def us(self, i: int) -> str:
        """National significant number of US phone i (unique: its 7-digit line is)."""
        return f"{self.areas[i % len(self.areas)]}{self._line(i)}"

    def uk(self, i: int) -> str:
        return f"20{'378'[i % 3]}{self._line(i)}"

    def miss(self, i: int) -> str:
        """A number never loaded; its line may be a loaded number's, in another area."""
        return f"{self.miss_areas[i % len(self.miss_areas)]}{self._line(i)}"


def us_display(national: str, style: int) -> str:
    a, b, c = national[:3], national[3:6], national[6:]
    return [f"({a}) {b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}", f"1-{a}-{b}-{c}"][style % 4]


def phone_row(contact_id: int, national: str, *, uk: bool, style: int, kind: str) -> tuple:
    """(contact_id, raw, kind, e164, national_number, country_assumed, tail), as the service
    would store it (checked against crm.phones for a sample before timing)."""
    if uk:
        raw, e164, assumed = f"+44 {national[:2]} {national[2:6]} {national[6:]}", "+44", False
    else:
        raw, e164 = us_display(national, style), "+1"
        assumed = style % 4 < 2
    return (contact_id, raw, kind, e164 + national, national, assumed, national[-7:])


def generate(count: int, numbers: Numbers):
    """Yield (companies, contacts, phones) row lists; contact i has id i + 1."""
    rng = random.Random(SEED)
    first, last = FIRST.split(), LAST.split()
    now = datetime(2026, 3, 1, tzinfo=UTC)
    company_count = max(1, count // CONTACTS_PER_COMPANY)
    companies = []
    switchboards = {}
    for c in range(company_count):
        name = f"{rng.choice(last)} {rng.choice(['Labs', 'Logistics', 'Foods', 'Health'])} {c}"
        created = now - timedelta(days=rng.randrange(900))
        companies.append((c + 1, name, name.lower(), created, created, created))
        switchboards[c + 1] = numbers.us(count + c)
    contacts, phones = [], []
    for i in range(count):
        company_id = i % company_count + 1
        fn, ln = rng.choice(first), rng.choice(last)
        title = rng.choice(TITLES)
        email = f"{fn}.{ln}.{i}@example.com".lower()
        created = now - timedelta(days=rng.randrange(900), seconds=rng.randrange(86400))
        activity = created + timedelta(days=rng.randrange(90))
        company_name = companies[company_id - 1][1]
        search = " ".join(p for p in (fn, ln, title, email, company_name) if p).lower()
        contacts.append(
            (
                i + 1,
                fn,
                ln,
                title,
                company_id,
                email,
                "",
                "lead",
                search,
                activity,
                created,
                created,
            )
        )
        uk = i % 10 == 9
        national = numbers.uk(i) if uk else numbers.us(i)
        phones.append(phone_row(i + 1, national, uk=uk, style=i // 10, kind="mobile"))
        if i % 5 == 0:
            phones.append(
                phone_row(i + 1, switchboards[company_id], uk=False, style=2, kind="work")
            )
    return companies, contacts, phones


# --- Loading ---------------------------------------------------------------------------------

TABLES = ("crm_company", "crm_contact", "crm_contactphone")
COLUMNS = {
    "crm_company": "id, name, search_text, last_activity_at, created_at, updated_at",
    "crm_contact": "id, first_name, last_name, title, company_id, email, secondary_email, "
    "status, search_text, last_activity_at, created_at, updated_at",
    "crm_contactphone": "contact_id, raw, kind, e164, national_number, country_assumed, tail",
}
DEFAULTS = {
    "crm_company": {"domain": "", "industry": "", "phone": "", "address": "", "description": ""},
}


def data_label(count: int) -> str:
    return f"bench/match.py data v{DATA_VERSION}, {count} contacts"


def loaded_label(cursor) -> str | None:
    cursor.execute("SELECT obj_description('crm_contact'::regclass, 'pg_class')")
    return cursor.fetchone()[0]


def copy_tables(conn, tables: list[tuple[str, str, object]], *, truncate: str) -> None:
    """COPY rows into tables (name, columns, iterable of row tuples) in one transaction, with
    their secondary indexes dropped during the load and rebuilt after it; `truncate` is the
    TRUNCATE list to empty first (CASCADE)."""
    names = [table for table, _columns, _rows in tables]
    # One transaction: a failed COPY must not leave the tables without their indexes.
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SET synchronous_commit = off")
        # Django's foreign keys are deferred; checked at commit, they would block CREATE INDEX.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute(f"TRUNCATE {truncate} RESTART IDENTITY CASCADE")
        cur.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "WHERE t.relname = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [names],
        )
        indexes = cur.fetchall()
        for name, _definition in indexes:
            cur.execute(f"DROP INDEX {name}")
        for table, columns, rows in tables:
            t0, n = time.perf_counter(), 0
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            print(f"  COPY {table}: {n} rows in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        for _name, definition in indexes:
            cur.execute(definition)
        print(f"  rebuilt {len(indexes)} indexes in {time.perf_counter() - t0:.1f}s")
        for table in names:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
            cur.execute(f"ANALYZE {table}")


def load(count: int, numbers: Numbers) -> float:
    from django.db import connection

    started = time.perf_counter()
    companies, contacts, phones = generate(count, numbers)
    took = time.perf_counter() - started
    print(f"generated {len(contacts)} contacts, {len(phones)} phones in {took:.1f}s")
    connection.ensure_connection()
    conn = connection.connection
    tables = []
    for table, rows in zip(TABLES, (companies, contacts, phones), strict=True):
        extra = DEFAULTS.get(table, {})
        columns = COLUMNS[table] + "".join(f", {c}" for c in extra)
        tables.append(
            (table, columns, [(*row, *extra.values()) for row in rows] if extra else rows)
        )
    copy_tables(conn, tables, truncate=", ".join(TABLES))
    with conn.cursor() as cur:
        cur.execute(f"COMMENT ON TABLE crm_contact IS '{data_label(count)}'")
    return time.perf_counter() - started


# --- Timing ----------------------------------------------------------------------------------


def check_sample(count: int, numbers: Numbers) -> None:
    """The generated rows must be what the service stores, or the benchmark measures nothing."""
    from crm.phones import phone_normalise

    _, _, phones = generate(min(count, 2000), numbers)
    for _cid, raw, _kind, e164, national, assumed, tail in phones:
        stored = phone_normalise(raw, region="US")
        got = (stored.e164, stored.national_number, stored.country_assumed, stored.tail)
        if got != (e164, national, assumed, tail):
            raise SystemExit(f"generated {raw!r} as {e164, national, assumed, tail}, service {got}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(queries: list[str], expect: str) -> tuple[list[float], int]:
    from crm.matching import contact_match_number

    latencies, wrong = [], 0
    for number in queries:
        t0 = time.perf_counter_ns()
        match = contact_match_number(number=number)
        latencies.append((time.perf_counter_ns() - t0) / 1e6)
        if match.method != expect:
            wrong += 1
    return latencies, wrong


def query_sets(count: int, numbers: Numbers, size: int) -> dict[str, tuple[list[str], str]]:
    rng = random.Random(SEED + 1)
    hits, fallback_hits = [], []
    while len(hits) < size:
        i = rng.randrange(count)
        if i % 10 == 9:
            n = numbers.uk(i)
            hits.append(rng.choice([f"+44{n}", f"44{n}", f"+44 {n[:2]} {n[2:6]} {n[6:]}"]))
        else:
            n = numbers.us(i)
            hits.append(rng.choice([f"+1{n}", f"1{n}", us_display(n, 0), us_display(n, 1)]))
    while len(fallback_hits) < size:
        i = rng.randrange(count)
        if i % 10 != 9 and (i // 10) % 4 < 2:  # stored without a country code
            n = numbers.us(i)
            fallback_hits.append(f"{n[3:6]}-{n[6:]}")  # caller ID without its area code
    misses = [
        rng.choice([f"+1{n}", f"1{n}", us_display(n, 0)])
        for n in (numbers.miss(rng.randrange(8_000_000)) for _ in range(size))
    ]
    return {
        "hit": (hits, "e164"),
        "miss": (misses, "none"),
        "fallback_hit": (fallback_hits, "last_digits"),
    }


def setup_django(database: str | None, *, suffix: str = "_bench_match") -> tuple[str, str]:
    """Point Django at the benchmark's own database (created when missing), as in production
    (DEBUG off), with the region the generated numbers assume, migrated. Returns its URL and
    the maintenance URL (for `--drop`)."""
    url, maintenance_url = bench_database_url(database, suffix=suffix)
    ensure_database(url, maintenance_url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cti.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False  # no query log, as in production
    settings.PHONE_DEFAULT_REGION = "US"
    call_command("migrate", verbosity=0)
    return url, maintenance_url


def main() -> None:
    args = parse_args()
    url, maintenance_url = setup_django(args.database)
    from django.db import connection

    numbers = Numbers()
    check_sample(args.contacts, numbers)
    with connection.cursor() as cursor:
        have = loaded_label(cursor)
    load_seconds = None
    if have != data_label(args.contacts) or args.reload:
        print(f"loading {args.contacts} contacts into {connection.settings_dict['NAME']}")
        load_seconds = round(load(args.contacts, numbers), 1)
        print(f"loaded in {load_seconds}s")
    else:
        print(f"reusing {have} in {connection.settings_dict['NAME']} (--reload to reload)")

    results: dict[str, float | int | None] = {"contacts": args.contacts}
    sets = query_sets(args.contacts, numbers, args.queries)
    for name, (queries, expect) in sets.items():
        timed(queries[: max(200, len(queries) // 4)], expect)  # warm caches and connection
        latencies, wrong = timed(queries, expect)
        if wrong:
            raise SystemExit(f"{wrong} of {len(queries)} {name} lookups did not give {expect}")
        results[f"{name}_p50_ms"] = round(percentile(latencies, 50), 3)
        results[f"{name}_p99_ms"] = round(percentile(latencies, 99), 3)
        results[f"{name}_mean_ms"] = round(statistics.fmean(latencies), 3)
        print(
            f"{name:>12}: p50 {results[f'{name}_p50_ms']:.3f} ms, "
            f"p99 {results[f'{name}_p99_ms']:.3f} ms over {len(queries)} lookups"
        )
    results["queries_per_kind"] = args.queries
    results["load_seconds"] = load_seconds
    connection.close()
    if args.drop:
        ensure_database(url, maintenance_url, drop=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
