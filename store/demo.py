"""Demo data: an empty register filled with plausible Finnish customers.

:func:`build_demo` makes what a call centre would see after years of use:
private people, companies and ad customers with addresses, phones in the
many ways people write them, billing details, consents, groups, roles,
subscriptions, invoices and the events of each card's timeline. The same
function builds the small register of ``kortisto demo`` and the
1,000,000-customer register of the benchmark, so it works in batches:
each batch is generated in memory, inserted with Core ``executemany``
in one short write transaction, and dropped before the next one starts.

What was decided here, where the seed is silent:

- The output depends only on the seed, the customer count and the
  clock: Faker is seeded once for the pools of names and streets, and
  each batch has a :class:`random.Random` of its own seeded from it.
- Customers are numbered from 100001 in the order they were created, so
  the oldest customers have the lowest numbers.
- Emails use the reserved ``example`` domains (RFC 2606) and nothing here
  sends mail, so demo data can never reach a real person's inbox.
- A subscription's ``unit_price`` is the price of one copy for its whole
  term, or for one billing period of a continuous subscription; an ad
  booking's is the price of the ad.
- Invoices are generated for the last three years only; continuous
  subscriptions are billed every 3, 6 or 12 months, fixed terms once.
- Self-service accounts have no password (an empty hash): a password is
  set only by an operator's save or by the customer, never invented.
- An ad booking is a subscription of the ad product over the days the ad
  runs, invoiced once.
- Event summaries are short English text for logs; the timeline has the
  event's kind and ``changes`` to show in the operator's language.
- The demo gives ids itself, as the register has no customers yet, and on
  PostgreSQL moves each sequence past them at the end. Products, groups,
  roles and bundles already in the register are used, not duplicated.
- No admin operator is made: the first person to open the register
  becomes its admin (see :func:`store.operators.sign_in`). One salesperson,
  ``myyja``, is the default salesperson of some ad customers.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar, cast

from faker import Faker
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import iban, luhn

from store.clock import BUSINESS_ZONE, Clock
from store.db import Database
from store.errors import N_, KortistoError
from store.indexing import refresh_sort_name, term_rows
from store.models import (
    AddressChange,
    Bundle,
    BundlePostalCode,
    Consent,
    ConsentChannel,
    ConsentSource,
    ConsentStatus,
    Customer,
    CustomerGroup,
    CustomerRole,
    CustomerType,
    Event,
    Group,
    Invoice,
    InvoiceDelivery,
    InvoiceStatus,
    Operator,
    Payer,
    Product,
    ProductKind,
    Role,
    SearchTerm,
    SelfServiceAccount,
    Setting,
    Subscription,
    Suspension,
    TemporaryAddress,
)
from store.text import fold

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Customers generated and inserted per write transaction.
BATCH_SIZE = 2_500
#: The first customer number of a demo register.
FIRST_CUSTOMER_NUMBER = 100_001
#: The first subscription number.
FIRST_SUBSCRIPTION_NUMBER = 2_000_001
#: The first invoice number; references are built from invoice numbers.
FIRST_INVOICE_NUMBER = 10_000_001
#: The login of the demo salesperson.
SALESPERSON_LOGIN = "myyja"
#: How many years of invoices a demo register holds.
INVOICE_YEARS = 3
#: How far back the oldest customer was created.
HISTORY_YEARS = 20

_CENT = Decimal("0.01")
#: How long before a billing period its invoice is made.
_INVOICE_LEAD = dt.timedelta(days=14)
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`build_demo` made, and how long it took."""

    customers: int
    private_customers: int
    companies: int
    ad_customers: int
    subscriptions: int
    invoices: int
    events: int
    search_terms: int
    seconds: float

    @property
    def customers_per_second(self) -> float:
        """The build rate."""
        return self.customers / self.seconds if self.seconds > 0 else 0.0


# Finnish check digits.


def business_id_check_digit(body: str) -> str | None:
    """The check digit of a seven-digit business ID body (Y-tunnus).

    Returns ``None`` for a body that has no valid check digit: the
    weighted sum leaves remainder 1, and such bodies are never issued.
    """
    total = sum(int(d) * w for d, w in zip(body, (7, 9, 10, 5, 8, 4, 2), strict=True))
    remainder = total % 11
    if remainder == 1:
        return None
    return "0" if remainder == 0 else str(11 - remainder)


def reference_check_digit(base: str) -> str:
    """The Finnish 7-3-1 check digit of a payment reference's digits."""
    weights = (7, 3, 1)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(base)))
    return str(-total % 10)


def payment_reference(base: int) -> str:
    """A Finnish payment reference: ``base``'s digits and the check digit."""
    digits = str(base)
    return digits + reference_check_digit(digits)


# Places, names and words the generated customers are made of.


@dataclass(frozen=True)
class _Town:
    name: str
    postal_codes: tuple[str, ...]
    area_code: str
    weight: int
    bundle_code: str = ""
    """Towns with a code have early-delivery carrier bundles."""


def _town(
    name: str,
    first: int,
    last: int,
    area_code: str,
    weight: int,
    bundle_code: str = "",
) -> _Town:
    # Street delivery areas mostly end in 0; PO box codes end in 1.
    codes = tuple(f"{n:05d}" for n in range(first, last + 1, 10))
    return _Town(name, codes, area_code, weight, bundle_code)


# Post towns with their postal-code ranges and phone area codes, weighted
# roughly by population (thousands), so the big cities dominate as they do
# in any Finnish register.
_TOWNS: tuple[_Town, ...] = (
    _town("Helsinki", 100, 990, "09", 670, "HKI"),
    _town("Espoo", 2100, 2780, "09", 310, "ESP"),
    _town("Tampere", 33100, 33900, "03", 250, "TRE"),
    _town("Vantaa", 1200, 1760, "09", 245, "VAN"),
    _town("Oulu", 90100, 90940, "08", 215, "OUL"),
    _town("Turku", 20100, 20960, "02", 200, "TKU"),
    _town("Jyväskylä", 40100, 40950, "014", 148, "JKL"),
    _town("Kuopio", 70100, 70900, "017", 125, "KUO"),
    _town("Lahti", 15100, 15880, "03", 121, "LTI"),
    _town("Pori", 28100, 28900, "02", 84),
    _town("Kouvola", 45100, 45910, "05", 80),
    _town("Joensuu", 80100, 80790, "013", 78),
    _town("Lappeenranta", 53100, 53920, "05", 73),
    _town("Hämeenlinna", 13100, 13900, "03", 68),
    _town("Vaasa", 65100, 65610, "06", 68),
    _town("Seinäjoki", 60100, 60800, "06", 65),
    _town("Rovaniemi", 96100, 96900, "016", 65),
    _town("Mikkeli", 50100, 50970, "015", 52),
    _town("Porvoo", 6100, 6750, "019", 51),
    _town("Salo", 24100, 24920, "02", 51),
    _town("Kotka", 48100, 48910, "05", 51),
    _town("Kokkola", 67100, 67900, "06", 48),
    _town("Hyvinkää", 5800, 5880, "019", 47),
    _town("Lohja", 8100, 8700, "019", 46),
    _town("Järvenpää", 4400, 4480, "09", 46),
    _town("Nurmijärvi", 1900, 1900, "09", 45),
    _town("Kirkkonummi", 2400, 2400, "09", 41),
    _town("Tuusula", 4300, 4300, "09", 40),
    _town("Rauma", 26100, 26950, "02", 38),
    _town("Kerava", 4200, 4260, "09", 38),
    _town("Kajaani", 87100, 87950, "08", 36),
    _town("Kaarina", 20780, 20780, "02", 36),
    _town("Nokia", 37100, 37150, "03", 35),
    _town("Kangasala", 36200, 36220, "03", 33),
    _town("Ylöjärvi", 33470, 33480, "03", 33),
    _town("Savonlinna", 57100, 57810, "015", 31),
    _town("Vihti", 3400, 3400, "09", 29),
    _town("Riihimäki", 11100, 11130, "019", 28),
    _town("Imatra", 55100, 55910, "05", 25),
    _town("Raisio", 21200, 21280, "02", 24),
    _town("Raahe", 92100, 92180, "08", 24),
    _town("Lempäälä", 37500, 37500, "03", 24),
    _town("Sastamala", 38200, 38200, "03", 24),
    _town("Sipoo", 4130, 4130, "09", 23),
    _town("Iisalmi", 74100, 74170, "017", 21),
    _town("Tornio", 95400, 95450, "016", 21),
    _town("Valkeakoski", 37600, 37630, "03", 21),
    _town("Mäntsälä", 4600, 4600, "019", 21),
    _town("Siilinjärvi", 71800, 71800, "017", 21),
    _town("Kemi", 94100, 94900, "016", 20),
    _town("Varkaus", 78200, 78250, "017", 20),
    _town("Jämsä", 42100, 42100, "014", 20),
    _town("Lieto", 21420, 21420, "02", 20),
    _town("Naantali", 21100, 21110, "02", 19),
    _town("Pirkkala", 33960, 33960, "03", 19),
    _town("Kempele", 90440, 90440, "08", 19),
    _town("Pietarsaari", 68600, 68660, "06", 19),
    _town("Hamina", 49400, 49420, "05", 19),
    _town("Heinola", 18100, 18300, "03", 18),
    _town("Äänekoski", 44100, 44150, "014", 18),
    _town("Forssa", 30100, 30150, "03", 17),
    _town("Pieksämäki", 76100, 76150, "015", 17),
    _town("Akaa", 37800, 37800, "03", 16),
    _town("Loimaa", 32200, 32200, "02", 16),
    _town("Orimattila", 16300, 16300, "03", 16),
    _town("Uusikaupunki", 23500, 23500, "02", 15),
    _town("Kuusamo", 93600, 93600, "08", 15),
    _town("Ylivieska", 84100, 84100, "08", 15),
    _town("Loviisa", 7900, 7910, "019", 14),
    _town("Lapua", 62100, 62100, "06", 14),
    _town("Kauhajoki", 61800, 61800, "06", 13),
    _town("Kalajoki", 85100, 85100, "08", 12),
    _town("Lieksa", 81700, 81700, "013", 11),
    _town("Kankaanpää", 38700, 38700, "02", 11),
    _town("Kauniainen", 2700, 2700, "09", 10),
    _town("Huittinen", 32700, 32700, "02", 10),
    _town("Kitee", 82500, 82500, "013", 10),
    _town("Sotkamo", 88600, 88600, "08", 10),
    _town("Keuruu", 42700, 42700, "014", 10),
    _town("Liminka", 91900, 91900, "08", 10),
    _town("Karkkila", 3600, 3600, "09", 9),
    _town("Närpiö", 64200, 64200, "06", 9),
    _town("Orivesi", 35300, 35300, "03", 9),
    _town("Saarijärvi", 43100, 43100, "014", 9),
    _town("Muhos", 91500, 91500, "08", 9),
    _town("Hanko", 10900, 10900, "019", 8),
    _town("Sodankylä", 99600, 99600, "016", 8),
    _town("Pudasjärvi", 93100, 93100, "08", 8),
    _town("Nurmes", 75500, 75500, "013", 7),
    _town("Kemijärvi", 98100, 98120, "016", 7),
    _town("Inari", 99870, 99870, "016", 7),
    _town("Ikaalinen", 39500, 39500, "03", 7),
    _town("Suonenjoki", 77600, 77600, "017", 7),
    _town("Kittilä", 99100, 99100, "016", 6),
    _town("Parkano", 39700, 39700, "03", 6),
    _town("Inkoo", 10210, 10210, "019", 5),
    _town("Askola", 7500, 7500, "019", 5),
    _town("Pyhtää", 49220, 49220, "05", 5),
    _town("Enontekiö", 99400, 99400, "016", 2),
    _town("Utsjoki", 99980, 99980, "016", 1),
)
_TOWN_BY_NAME = {t.name: t for t in _TOWNS}
_TOWN_WEIGHTS = [t.weight for t in _TOWNS]
_SMALL_TOWNS = tuple(t for t in _TOWNS if t.weight < 20)

_MUNICIPALITIES = (
    ("Helsingin kaupunki", "Helsinki"),
    ("Espoon kaupunki", "Espoo"),
    ("Tampereen kaupunki", "Tampere"),
    ("Vantaan kaupunki", "Vantaa"),
    ("Oulun kaupunki", "Oulu"),
    ("Turun kaupunki", "Turku"),
    ("Jyväskylän kaupunki", "Jyväskylä"),
    ("Kuopion kaupunki", "Kuopio"),
    ("Lahden kaupunki", "Lahti"),
    ("Keravan kaupunki", "Kerava"),
    ("Sipoon kunta", "Sipoo"),
    ("Kempeleen kunta", "Kempele"),
    ("Lempäälän kunta", "Lempäälä"),
    ("Limingan kunta", "Liminka"),
    ("Inkoon kunta", "Inkoo"),
    ("Askolan kunta", "Askola"),
)
_MUNICIPAL_UNITS = (
    "kirjasto",
    "sivistystoimi",
    "tekninen toimi",
    "kirjaamo",
    "nuorisopalvelut",
)
_TRADES = (
    "Rakennus",
    "Kuljetus",
    "Tilitoimisto",
    "Kiinteistöpalvelu",
    "Sähkö",
    "LVI",
    "Maalaus",
    "Konepaja",
    "Autokorjaamo",
    "Kauneushoitola",
    "Kukkakauppa",
    "Leipomo",
    "Parturi-Kampaamo",
    "Hammaslääkäri",
    "IT-palvelu",
    "Lakiasiaintoimisto",
    "Metsäpalvelu",
    "Siivous",
)
_COMPANY_SUFFIXES = ("Oy", "Oy", "Oy", "Oy", "Ky", "Tmi", "Tmi", "Oyj", "Osk")
_ASSOCIATIONS = (
    "Kotiseutuyhdistys",
    "Urheiluseura",
    "Eläkkeensaajat",
    "Kyläyhdistys",
    "Omakotiyhdistys",
    "Metsästysseura",
    "Partiolippukunta",
    "Sekakuoro",
)
_AD_AGENCY_WORDS = ("Mainostoimisto", "Mediatoimisto", "Viestintätoimisto")

_MOBILE_PREFIXES = ("040", "041", "044", "045", "046", "050")
# (bank group's first account digits, its BIC): the intermediator of a
# consumer e-invoice is the payer's bank.
_BANKS = (
    ("1", "NDEAFIHH"),
    ("5", "OKOYFIHH"),
    ("8", "DABAFIHH"),
    ("31", "HANDFIHH"),
    ("33", "ESSEFIHH"),
    ("39", "SBANFIHH"),
    ("405", "HELSFIHH"),
)
_EINVOICE_OPERATORS = (
    "003723327487",
    "003721291126",
    "BAWCFI22",
    "OKOYFIHH",
    "NDEAFIHH",
    "DABAFIHH",
    "HELSFIHH",
)
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
_COMPANY_MAILBOXES = ("info", "toimisto", "laskutus", "asiakaspalvelu", "myynti")

_NOTES = (
    "Soittaa aamuisin",
    "Ovikoodi 1234",
    "Portti koodilla 1234",
    "Lehti postilaatikkoon, ei luukusta",
    "Kuulee huonosti, puhu selkeästi",
    "Laskut mieluiten sähköpostiin",
    "Toivoo soittoa ennen tilauksen päättymistä",
    "Koira pihalla, jakaja varovasti",
    "Vaihtoi osoitetta keväällä\nUusi osoite tarkistettu puhelimessa",
    "Reklamaatio: lehti ei tullut kolmena päivänä\nHyvitetty yksi viikko",
    "Tilasi puhelimitse\nHaluaa laskun paperisena",
    "Ovikoodi muuttunut\nUusi koodi kysyttävä asiakkaalta",
    "Lehti naapurin laatikkoon (Virtanen)\nSovittu jakelun kanssa",
)
_FREE_GROUPINGS = (
    "Kesäkampanja",
    "Joulukampanja",
    "Messut",
    "Lukijapaneeli",
    "Asiakasraati",
    "Koulutilaaja",
)
# Used when the register's list of consent sources is empty; the same
# names the first migration gives every new register.
_CONSENT_SOURCES = ("Puhelu", "Verkkolomake", "Tilaus", "Kirje")
_DISCOUNTS = tuple(
    Decimal(d) for d in ("5", "10", "12.5", "15", "20", "25", "30", "50", "100")
)
_DISCOUNT_WEIGHTS = (20, 25, 8, 12, 10, 8, 5, 4, 2)
_AD_PRICES = tuple(
    Decimal(p)
    for p in ("49.00", "89.00", "145.00", "290.00", "480.00", "950.00", "1450.00")
)

GROUP_NAMES = ("Opiskelija", "Eläkeläinen", "Yhdistys", "Kunta")
"""The customer groups of the demo settings."""
ROLE_NAMES = ("Kestotilaaja", "Yhteyshenkilö", "Avainasiakas", "Mainostaja")
"""The customer roles of the demo settings."""


@dataclass(frozen=True)
class _ProductSpec:
    code: str
    name: str
    kind: ProductKind = ProductKind.PUBLICATION
    vat_percent: Decimal = Decimal("14.00")
    """Newspapers and their digital editions are taxed at the reduced rate."""
    monthly_price: Decimal = Decimal("0.00")
    weight: int = 0
    """How often the product is chosen for a new subscription."""


_PRODUCTS = (
    _ProductSpec("PL7", "Päivälehti 7 pv", monthly_price=Decimal("39.90"), weight=45),
    _ProductSpec(
        "PLVKL", "Päivälehti la–su", monthly_price=Decimal("21.90"), weight=15
    ),
    _ProductSpec("VKL", "Paikallisviikko", monthly_price=Decimal("8.90"), weight=20),
    _ProductSpec("DIGI", "Digilehti", monthly_price=Decimal("14.90"), weight=20),
)
# Ads are invoiced at their own price and carry the general VAT rate.
_AD_PRODUCT = _ProductSpec(
    "ILM", "Ilmoitus", kind=ProductKind.AD, vat_percent=Decimal("25.50")
)


# The register's own rows the customers point at.


@dataclass
class _Settings:
    product_ids: dict[str, int]
    bundle_ids_by_town: dict[str, list[int]]
    bundle_by_postal_code: dict[str, int]
    group_ids: dict[str, int]
    role_ids: dict[str, int]
    consent_sources: tuple[str, ...]
    payment_term_days: int
    salesperson_id: int


@dataclass
class _Counters:
    """The next id of each table, and the next business numbers."""

    ids: dict[str, int]
    customer_number: int = FIRST_CUSTOMER_NUMBER
    subscription_number: int = FIRST_SUBSCRIPTION_NUMBER
    invoice_number: int = FIRST_INVOICE_NUMBER

    def take(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value


# The tables a batch fills, in the order it inserts them: every row after
# the rows it points at.
_BATCH_TABLES: tuple[Table, ...] = tuple(
    cast(Table, model.__table__)
    for model in (
        Customer,
        Payer,
        Consent,
        SelfServiceAccount,
        TemporaryAddress,
        Suspension,
        AddressChange,
        CustomerGroup,
        CustomerRole,
        Subscription,
        Invoice,
        Event,
        SearchTerm,
    )
)
_ID_TABLES = tuple(t for t in _BATCH_TABLES if "id" in t.c)


@dataclass
class _Batch:
    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {t.name: [] for t in _BATCH_TABLES}
    )
    private_customers: int = 0
    companies: int = 0
    ad_customers: int = 0

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)

    def count(self, table: str) -> int:
        return len(self.rows[table])


@dataclass
class _Period:
    """A subscription period being generated."""

    product: _ProductSpec
    starts_on: dt.date
    ends_on: dt.date | None
    copies: int
    billing_months: int


@dataclass(frozen=True)
class _Pools:
    """Names and streets drawn from Faker once, then picked from quickly.

    Faker's weighted pickers cost tens of microseconds a call; a pool of
    a few thousand draws keeps its name frequencies at a fraction of that.
    """

    female_first_names: tuple[str, ...]
    male_first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]


@functools.lru_cache(maxsize=4)
def _draw_pools(seed: int) -> _Pools:
    # Kept: a rebuild with the same seed would draw the very same pools.
    faker = Faker("fi_FI")
    faker.seed_instance(seed)
    return _Pools(
        female_first_names=tuple(faker.first_name_female() for _ in range(2_000)),
        male_first_names=tuple(faker.first_name_male() for _ in range(2_000)),
        last_names=tuple(faker.last_name() for _ in range(4_000)),
        streets=tuple(faker.street_name() for _ in range(3_000)),
    )


# Generating one batch.


class _BatchGenerator:
    """Makes the rows of one batch of customers."""

    def __init__(
        self,
        *,
        seed: int,
        batch_index: int,
        pools: _Pools,
        settings: _Settings,
        counters: _Counters,
        today: dt.date,
        now: dt.datetime,
        total: int,
    ) -> None:
        self.rng = random.Random(f"kortisto-demo:{seed}:{batch_index}")
        self.pools = pools
        self.settings = settings
        self.counters = counters
        self.today = today
        self.now = now
        self.total = total
        self.first_day = today - dt.timedelta(days=365 * HISTORY_YEARS)
        self.invoices_from = today - dt.timedelta(days=365 * INVOICE_YEARS)
        self.batch = _Batch()
        self.usernames: set[str] = set()
        self.created_at = now
        """When the customer being generated was created."""

    # Small pieces.

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def pick(self, items: Sequence[T]) -> T:
        """One of ``items``, drawing the same randomness however many there are.

        For lists that come from the register's settings: ``random.choice``
        draws more or fewer bits by the list's length, so a longer list
        would change every customer generated after it.
        """
        return items[int(self.rng.random() * len(items))]

    def moment(self, day: dt.date) -> dt.datetime:
        """A moment of office hours on ``day`` in Helsinki, in UTC; not later
        than now."""
        seconds = self.rng.randrange(8 * 3600, 17 * 3600)
        local = dt.datetime.combine(day, dt.time(), BUSINESS_ZONE) + dt.timedelta(
            seconds=seconds
        )
        moment = local.astimezone(dt.UTC)
        if moment <= self.now:
            return moment
        # Today, later than now: an hour or two ago instead, so that today's
        # events do not all pile up on the very moment of the build.
        return self.now - dt.timedelta(seconds=self.rng.randrange(7200))

    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        if last <= first:
            return first
        return first + dt.timedelta(days=self.rng.randrange((last - first).days + 1))

    def town(self) -> _Town:
        return self.rng.choices(_TOWNS, _TOWN_WEIGHTS)[0]

    def person_name(self) -> tuple[str, str]:
        pools = self.pools
        first_names = (
            pools.female_first_names if self.chance(0.5) else pools.male_first_names
        )
        last = self.rng.choice(pools.last_names)
        if self.chance(0.06):
            last = f"{last}-{self.rng.choice(pools.last_names)}"
        return last, self.rng.choice(first_names)

    def street(self, town: _Town) -> str:
        rng = self.rng
        name = rng.choice(self.pools.streets)
        number = rng.randint(1, 9) if self.chance(0.3) else rng.randint(1, 120)
        if town.weight >= 60 and self.chance(0.6):
            return f"{name} {number} {rng.choice('ABCDEF')} {rng.randint(1, 60)}"
        if self.chance(0.08):
            return f"{name} {number} as. {self.rng.randint(1, 12)}"
        if self.chance(0.1):
            return f"{name} {number} {self.rng.choice('abc')}"
        return f"{name} {number}"

    def phone(self, town: _Town, *, mobile: bool) -> tuple[str, str]:
        """A valid Finnish number as a person would write it, and its E.164."""
        if mobile:
            prefix = self.rng.choice(_MOBILE_PREFIXES)
            subscriber = str(self.rng.randint(1_000_000, 9_999_999))
            split = (subscriber[:3], subscriber[3:])
        else:
            prefix = town.area_code
            # Subscriber numbers of 6 or 7 digits that start with 1 to 8 are
            # valid in every area; phonenumbers rejects some starting with 0/9.
            subscriber = str(self.rng.randint(1, 8)) + "".join(
                str(self.rng.randrange(10)) for _ in range(self.rng.choice((5, 6, 6)))
            )
            split = (subscriber[:3], subscriber[3:])
        international = f"+358 {prefix[1:]}"
        written = self.rng.choices(
            (
                f"{international} {split[0]} {split[1]}",
                f"+358{prefix[1:]}{subscriber}",
                f"{prefix}-{subscriber}",
                f"{prefix} {split[0]} {split[1]}",
                f"{prefix}{subscriber}",
                f"({prefix}) {split[0]} {split[1]}",
            ),
            (25, 8, 20, 30, 12, 5),
        )[0]
        return written, f"+358{prefix[1:]}{subscriber}"

    def person_email(self, last_name: str, first_name: str) -> str:
        first = _mailbox_word(first_name)
        last = _mailbox_word(last_name)
        local = self.rng.choices(
            (
                f"{first}.{last}",
                f"{first[0]}{last}",
                f"{first}.{last}{self.rng.randint(1, 99)}",
                f"{last}.{first}",
                f"{first}{self.rng.randint(1950, 2005)}",
            ),
            (45, 20, 20, 10, 5),
        )[0]
        return f"{local}@{self.rng.choice(_EMAIL_DOMAINS)}"

    def business_id(self) -> str:
        while True:
            body = str(self.rng.randint(1, 9)) + f"{self.rng.randrange(1_000_000):06d}"
            check = business_id_check_digit(body)
            if check is not None:
                return f"{body}-{check}"

    def company_name(self) -> tuple[str, str | None, _Town | None]:
        """A company's name, the group it implies, and the town it implies."""
        kind = self.rng.random()
        last = self.rng.choice(self.pools.last_names)
        suffix = self.rng.choice(_COMPANY_SUFFIXES)
        if kind < 0.55:
            return f"{self.rng.choice(_TRADES)} {last} {suffix}", None, None
        if kind < 0.78:
            return f"{last} {suffix}", None, None
        if kind < 0.82:
            other = self.rng.choice(self.pools.last_names)
            return f"{last} & {other} {suffix}", None, None
        if kind < 0.92:
            street = self.rng.choice(self.pools.streets)
            return f"As Oy {street} {self.rng.randint(1, 40)}", None, None
        if kind < 0.97:
            town = self.town()
            name = f"{self.rng.choice(_ASSOCIATIONS)} {town.name} ry"
            return name, "Yhdistys", town
        municipality, town_name = self.rng.choice(_MUNICIPALITIES)
        unit = self.rng.choice(_MUNICIPAL_UNITS)
        return f"{municipality}, {unit}", "Kunta", _TOWN_BY_NAME[town_name]

    def ovt_address(self, business_id: str) -> str:
        digits = business_id.replace("-", "")
        if self.chance(0.15):
            return f"0037{digits}{self.rng.randint(1, 99):03d}"
        return f"0037{digits}"

    def bank_account(self) -> tuple[str, str]:
        """A Finnish IBAN with valid check digits, and its bank's BIC."""
        prefix, bic = self.rng.choice(_BANKS)
        body = prefix + "".join(
            str(self.rng.randrange(10)) for _ in range(13 - len(prefix))
        )
        bban = body + luhn.calc_check_digit(body)
        return f"FI{iban.calc_check_digits('FI00' + bban)}{bban}", bic

    def discount(self, rate: float) -> Decimal:
        if not self.chance(rate):
            return Decimal("0.00")
        return self.rng.choices(_DISCOUNTS, _DISCOUNT_WEIGHTS)[0].quantize(_CENT)

    # One customer.

    def customer(self, index: int) -> None:
        """Generate customer ``index`` (0-based over the whole build)."""
        row, town, groups = self.card(index)
        created_at = self.created_at = self.moment(row["created_on"])
        self.event(row["id"], created_at, "created", "Customer created")
        row["updated_at"] = self.changes(row, town, created_at)
        self.batch.add("customers", row)
        self.index(row)

        is_company = bool(row["company"])
        is_ad = row["customer_type"] == CustomerType.AD_CUSTOMER
        payer_customer_id, delivery = self.payer(row, is_company, is_ad, index)
        self.consents(row)
        self.self_service(row, is_company)
        if not is_company:
            self.temporary_address_and_suspension(row)
        if self.chance(0.007):
            self.address_change(row)

        periods = self.periods(row, is_ad)
        payer_id = payer_customer_id or row["id"]
        if payer_customer_id is None and periods and index and self.chance(0.03):
            # A gift: another customer pays, with no payer on the card.
            payer_id = row["id"] - self.rng.randint(1, min(index, 5_000))
        for period in periods:
            self.subscription(row, period, payer_id, delivery)

        roles: list[str] = []
        if any(p.ends_on is None for p in periods) and self.chance(0.4):
            roles.append("Kestotilaaja")
        if is_company and row["last_name"]:
            roles.append("Yhteyshenkilö")
        if is_company and self.chance(0.05):
            roles.append("Avainasiakas")
        if is_ad:
            roles.append("Mainostaja")
        self.memberships(row["id"], groups, roles)

    def card(self, index: int) -> tuple[dict[str, Any], _Town, list[str]]:
        """The customer's own row, its town, and the groups it belongs to."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.80:
            customer_type = CustomerType.PRIVATE
            self.batch.private_customers += 1
        elif roll < 0.92:
            customer_type = CustomerType.COMPANY
            self.batch.companies += 1
        else:
            customer_type = CustomerType.AD_CUSTOMER
            self.batch.ad_customers += 1
        is_ad = customer_type == CustomerType.AD_CUSTOMER
        # Most ad customers are businesses; the rest are people placing
        # family notices and small ads.
        is_company = customer_type == CustomerType.COMPANY or (
            is_ad and self.chance(0.65)
        )

        row = self.names(is_company)
        groups = row.pop("groups")
        town = row.pop("town") or self.town()
        row.update(self.contact(town, is_company, row))
        row.update(self.billing(is_company, is_ad, row))
        free_grouping = ""
        if self.chance(0.04):
            free_grouping = f"{rng.choice(_FREE_GROUPINGS)} {rng.randint(2019, 2026)}"

        # Numbers are given in creation order, so creation dates grow with
        # the index: the oldest customers have the lowest numbers.
        span = (self.today - dt.timedelta(days=1) - self.first_day).days
        early_delivery_blocked = self.chance(0.02)
        forced_bundle_id = None
        bundle_ids = self.settings.bundle_ids_by_town.get(town.name)
        if bundle_ids and not early_delivery_blocked and self.chance(0.03):
            # Forced into another route of the town than its postal code's.
            usual = self.settings.bundle_by_postal_code.get(row["postal_code"])
            forced_bundle_id = self.pick(
                [b for b in bundle_ids if b != usual] or bundle_ids
            )
        row.update(
            id=self.counters.take("customers"),
            number=self.counters.customer_number,
            customer_type=customer_type.value,
            early_delivery_blocked=early_delivery_blocked,
            forced_bundle_id=forced_bundle_id,
            free_grouping=free_grouping,
            delivery_blocked=self.chance(0.005),
            notes=rng.choice(_NOTES) if self.chance(0.12) else "",
            notes_log="",
            sort_name="",
            created_on=self.first_day + dt.timedelta(days=index * span // self.total),
            updated_at=None,
            updated_by_id=None,
            version=1,
        )
        self.counters.customer_number += 1
        return row, town, groups

    def names(self, is_company: bool) -> dict[str, Any]:
        """Names and business ID, with the groups and town a name implies."""
        groups: list[str] = []
        last_name = first_name = company = business_id = ""
        town: _Town | None = None
        if is_company:
            company, group, town = self.company_name()
            if group:
                groups.append(group)
            business_id = self.business_id()
            if self.chance(0.35):
                last_name, first_name = self.person_name()
        else:
            last_name, first_name = self.person_name()
            if self.chance(0.12):
                groups.append("Eläkeläinen")
            elif self.chance(0.05):
                groups.append("Opiskelija")
        return {
            "last_name": last_name,
            "first_name": first_name,
            "company": company,
            "business_id": business_id,
            "groups": groups,
            "town": town,
        }

    def contact(
        self, town: _Town, is_company: bool, names: dict[str, Any]
    ) -> dict[str, Any]:
        rng = self.rng
        postal_code = rng.choice(town.postal_codes)
        if is_company and self.chance(0.15):
            street = f"PL {rng.randint(1, 999)}"
            postal_code = postal_code[:-1] + "1"
        else:
            street = self.street(town)
        phone = phone_normalized = ""
        if self.chance(0.95 if is_company else 0.9):
            mobile = self.chance(0.5 if is_company else 0.8)
            phone, phone_normalized = self.phone(town, mobile=mobile)
        email = ""
        if is_company and self.chance(0.9):
            email = f"{rng.choice(_COMPANY_MAILBOXES)}@{_mail_domain(names['company'])}"
        elif not is_company and self.chance(0.75):
            email = self.person_email(names["last_name"], names["first_name"])
        return {
            "street": street,
            "postal_code": postal_code,
            "post_town": town.name,
            "country": "FI",
            "phone": phone,
            "phone_normalized": phone_normalized,
            "email": email,
        }

    def billing(
        self, is_company: bool, is_ad: bool, card: dict[str, Any]
    ) -> dict[str, Any]:
        delivery, einvoice_address, einvoice_operator = self.invoice_delivery(
            is_company, card["business_id"], card["email"]
        )
        salesperson_id = None
        if is_ad and self.chance(0.35):
            salesperson_id = self.settings.salesperson_id
        return {
            "discount_percent": self.discount(0.3 if is_company else 0.12),
            "invoice_delivery": delivery,
            "einvoice_address": einvoice_address,
            "einvoice_operator": einvoice_operator,
            "direct_payment": delivery == InvoiceDelivery.PAPER
            and self.chance(0.005 if is_company else 0.04),
            "consolidated_invoice": self.chance(
                0.3 if is_ad else 0.25 if is_company else 0.01
            ),
            "surcharge_exempt": self.chance(
                0.15 if is_ad else 0.1 if is_company else 0.03
            ),
            "salesperson_id": salesperson_id,
        }

    def memberships(
        self, customer_id: int, groups: list[str], roles: list[str]
    ) -> None:
        for name in groups:
            group_id = self.settings.group_ids[name]
            self.batch.add(
                "customer_groups", {"customer_id": customer_id, "group_id": group_id}
            )
        for name in roles:
            role_id = self.settings.role_ids[name]
            self.batch.add(
                "customer_roles", {"customer_id": customer_id, "role_id": role_id}
            )

    def invoice_delivery(
        self, is_company: bool, business_id: str, email: str
    ) -> tuple[InvoiceDelivery, str, str]:
        roll = self.rng.random()
        if is_company:
            if roll < 0.45:
                operator = self.rng.choice(_EINVOICE_OPERATORS)
                return InvoiceDelivery.EINVOICE, self.ovt_address(business_id), operator
            if roll < 0.8 and email:
                return InvoiceDelivery.EMAIL, "", ""
            return InvoiceDelivery.PAPER, "", ""
        if roll < 0.1:
            account, bic = self.bank_account()
            return InvoiceDelivery.EINVOICE, account, bic
        if roll < 0.45 and email:
            return InvoiceDelivery.EMAIL, "", ""
        return InvoiceDelivery.PAPER, "", ""

    def index(self, row: dict[str, Any]) -> None:
        """Set the sort name and the search terms the way every save does."""
        customer = Customer(
            id=row["id"],
            number=row["number"],
            last_name=row["last_name"],
            first_name=row["first_name"],
            company=row["company"],
            business_id=row["business_id"],
            street=row["street"],
            postal_code=row["postal_code"],
            post_town=row["post_town"],
            email=row["email"],
            phone=row["phone"],
            country=row["country"],
        )
        refresh_sort_name(customer)
        row["sort_name"] = customer.sort_name
        terms = self.batch.rows["search_terms"]
        for term in term_rows(customer):
            term["id"] = self.counters.take("search_terms")
            terms.append(term)

    def event(
        self,
        customer_id: int,
        occurred_at: dt.datetime,
        kind: str,
        summary: str,
        changes: dict[str, Any] | None = None,
    ) -> None:
        self.batch.add(
            "events",
            {
                "id": self.counters.take("events"),
                "customer_id": customer_id,
                "operator_id": None,
                "occurred_at": occurred_at,
                "kind": kind,
                "summary": summary,
                "changes": changes or {},
            },
        )

    def changes(
        self, row: dict[str, Any], town: _Town, created_at: dt.datetime
    ) -> dt.datetime:
        """Write the "changed" events that led to the card as it is now.

        Each change ends in the card's current value, so the timeline and
        the card agree. Returns when the card was last saved.
        """
        fields: list[str] = []
        for name, probability in (
            ("address", 0.15),
            ("phone", 0.1),
            ("email", 0.08),
            ("invoice_delivery", 0.06),
            ("discount_percent", 0.04),
            ("last_name", 0.03),
        ):
            if self.chance(probability):
                fields.append(name)
        first = row["created_on"] + dt.timedelta(days=1)
        if not fields or first >= self.today:
            return created_at
        days = sorted(self.day_between(first, self.today) for _ in fields)
        last_saved = created_at
        for name, day in zip(fields, days, strict=True):
            changes = self.change(row, name, town)
            if not changes:
                continue
            at = max(self.moment(day), created_at)
            summary = "Address changed" if name == "address" else "Details changed"
            self.event(row["id"], at, "changed", summary, changes)
            if name == "address" and self.chance(0.5):
                # Made by an address change that took effect: the register
                # logged it the way the nightly run does.
                line = f"Osoitemuutos päivitetty {day:%d.%m.%Y}"
                log_text = row["notes_log"]
                row["notes_log"] = f"{log_text}\n{line}" if log_text else line
            last_saved = max(last_saved, at)
        return last_saved

    def change(self, row: dict[str, Any], name: str, town: _Town) -> dict[str, Any]:
        """``{field: [old, new]}`` for one earlier edit of ``name``."""
        rng = self.rng
        if name == "address":
            old_town = self.town() if self.chance(0.4) else town
            old = {
                "street": self.street(old_town),
                "postal_code": rng.choice(old_town.postal_codes),
                "post_town": old_town.name,
            }
            return {k: [v, row[k]] for k, v in old.items() if v != row[k]}
        if name == "phone":
            old_phone, _ = self.phone(town, mobile=self.chance(0.5))
            return {"phone": [old_phone, row["phone"]]}
        if name == "email" and row["email"] and row["last_name"]:
            old_email = self.person_email(row["last_name"], row["first_name"])
            if old_email == row["email"]:
                return {"email": ["", row["email"]]}
            return {"email": [old_email, row["email"]]}
        if name == "invoice_delivery":
            current = row["invoice_delivery"]
            old_delivery = (
                InvoiceDelivery.PAPER
                if current != InvoiceDelivery.PAPER
                else InvoiceDelivery.EMAIL
            )
            return {"invoice_delivery": [old_delivery.value, current.value]}
        if name == "discount_percent" and row["discount_percent"]:
            return {"discount_percent": ["0.00", str(row["discount_percent"])]}
        if name == "last_name" and row["last_name"] and not row["company"]:
            old_last = rng.choice(self.pools.last_names)
            if old_last != row["last_name"]:
                return {"last_name": [old_last, row["last_name"]]}
        return {}

    def payer(
        self, row: dict[str, Any], is_company: bool, is_ad: bool, index: int
    ) -> tuple[int | None, InvoiceDelivery]:
        """Maybe give the customer another payer.

        Returns the paying customer, if the payer is one, and how the
        customer's invoices are delivered.
        """
        rng = self.rng
        if not self.chance(0.1 if is_ad else 0.01 if is_company else 0.03):
            return None, row["invoice_delivery"]
        payer: dict[str, Any] = {
            "id": self.counters.take("payers"),
            "customer_id": row["id"],
            "payer_customer_id": None,
            "name": "",
            "street": "",
            "postal_code": "",
            "post_town": "",
            "country": "FI",
            "einvoice_address": "",
            "einvoice_operator": "",
            "invoice_delivery": InvoiceDelivery.PAPER,
        }
        paying_customer: int | None = None
        delivery = row["invoice_delivery"]
        if index and not is_ad and self.chance(0.55):
            # A parent, an employer or a partner already in the register.
            # Their own delivery method is on a card that may be in an
            # earlier batch; the subscriber's stands in for it.
            paying_customer = row["id"] - rng.randint(1, min(index, 5_000))
            payer["payer_customer_id"] = paying_customer
        else:
            town = self.town()
            family = rng.choice(self.pools.last_names)
            if is_ad:
                name = f"{rng.choice(_AD_AGENCY_WORDS)} {family} Oy"
            elif self.chance(0.5):
                name = f"{rng.choice(_TRADES)} {family} Oy"
            else:
                last, first = self.person_name()
                name = f"{last} {first}"
            payer.update(
                name=name,
                street=self.street(town),
                postal_code=rng.choice(town.postal_codes),
                post_town=town.name,
            )
            if name.endswith(" Oy") and self.chance(0.6):
                payer.update(
                    invoice_delivery=InvoiceDelivery.EINVOICE,
                    einvoice_address=self.ovt_address(self.business_id()),
                    einvoice_operator=rng.choice(_EINVOICE_OPERATORS),
                )
            delivery = payer["invoice_delivery"]
        self.batch.add("payers", payer)
        return paying_customer, delivery

    def consents(self, row: dict[str, Any]) -> None:
        channels = []
        if row["email"] and self.chance(0.6):
            channels.append(ConsentChannel.EMAIL)
        if row["phone"] and self.chance(0.4):
            channels.append(ConsentChannel.SMS)
        if row["phone"] and self.chance(0.35):
            channels.append(ConsentChannel.PHONE)
        for channel in channels:
            answers = 2 if self.chance(0.1) else 1
            days = sorted(
                self.day_between(row["created_on"], self.today) for _ in range(answers)
            )
            status = ConsentStatus.ALLOWED if self.chance(0.6) else ConsentStatus.DENIED
            recorded_at = self.created_at
            for day in days:
                # The card takes the newest recorded answer as the one in force.
                recorded_at = max(self.moment(day), recorded_at)
                self.batch.add(
                    "consents",
                    {
                        "id": self.counters.take("consents"),
                        "customer_id": row["id"],
                        "channel": channel.value,
                        "status": status,
                        "source": self.pick(self.settings.consent_sources),
                        "given_on": day,
                        "recorded_at": recorded_at,
                    },
                )
                # A second answer is a change of mind.
                status = (
                    ConsentStatus.DENIED
                    if status == ConsentStatus.ALLOWED
                    else ConsentStatus.ALLOWED
                )

    def self_service(self, row: dict[str, Any], is_company: bool) -> None:
        if not row["email"] or not self.chance(0.1 if is_company else 0.3):
            return
        username = row["email"] if self.chance(0.65) else str(row["number"])
        if username in self.usernames:
            username = str(row["number"])
        self.usernames.add(username)
        self.batch.add(
            "self_service_accounts",
            {
                "id": self.counters.take("self_service_accounts"),
                "customer_id": row["id"],
                "username": username,
                # No password until the customer or an operator sets one.
                "password_hash": "",
                "password_set_at": None,
            },
        )

    def temporary_address_and_suspension(self, row: dict[str, Any]) -> None:
        rng = self.rng
        year = self.today.year + rng.choice((-1, 0, 0, 1))
        if self.chance(0.03):
            town = rng.choice(_SMALL_TOWNS)
            starts_on = dt.date(year, 6, rng.randint(1, 28))
            self.batch.add(
                "temporary_addresses",
                {
                    "id": self.counters.take("temporary_addresses"),
                    "customer_id": row["id"],
                    "street": self.street(town),
                    "postal_code": rng.choice(town.postal_codes),
                    "post_town": town.name,
                    "country": "FI",
                    "starts_on": starts_on,
                    "ends_on": starts_on + dt.timedelta(days=rng.randint(14, 70)),
                    "all_mail": self.chance(0.2),
                },
            )
        if self.chance(0.03):
            starts_on = self.day_between(
                self.today - dt.timedelta(days=300), self.today + dt.timedelta(days=90)
            )
            self.batch.add(
                "suspensions",
                {
                    "id": self.counters.take("suspensions"),
                    "customer_id": row["id"],
                    "starts_on": starts_on,
                    "ends_on": starts_on + dt.timedelta(days=rng.randint(6, 27)),
                    "extends_subscriptions": self.chance(0.3),
                },
            )

    def address_change(self, row: dict[str, Any]) -> None:
        town = self.town()
        self.batch.add(
            "address_changes",
            {
                "id": self.counters.take("address_changes"),
                "customer_id": row["id"],
                "street": self.street(town),
                "postal_code": self.rng.choice(town.postal_codes),
                "post_town": town.name,
                "country": "FI",
                "effective_on": self.today + dt.timedelta(days=self.rng.randint(1, 45)),
                "applied_on": None,
            },
        )

    # Subscriptions and invoices.

    def periods(self, row: dict[str, Any], is_ad: bool) -> list[_Period]:
        rng = self.rng
        found: list[_Period] = []
        if is_ad:
            for _ in range(rng.randint(1, 4)):
                starts_on = self.day_between(
                    max(row["created_on"], self.invoices_from),
                    self.today + dt.timedelta(days=30),
                )
                ends_on = starts_on + dt.timedelta(days=rng.choice((0, 0, 0, 1, 6)))
                found.append(_Period(_AD_PRODUCT, starts_on, ends_on, 1, 0))
        if not self.chance(0.3 if is_ad else 0.7):
            return found
        copies = rng.choice((1, 1, 1, 2, 3, 5)) if row["company"] else 1
        product = rng.choices(_PRODUCTS, [p.weight for p in _PRODUCTS])[0]
        found.extend(self.subscription_history(row["created_on"], product, copies))
        if product.code != "DIGI" and self.chance(0.08):
            digital = next(p for p in _PRODUCTS if p.code == "DIGI")
            starts_on = self.day_between(row["created_on"], self.today)
            found.append(_Period(digital, starts_on, None, 1, rng.choice((6, 12))))
        return found

    def subscription_history(
        self, created_on: dt.date, product: _ProductSpec, copies: int
    ) -> list[_Period]:
        """One product's periods: some ended, current, continuous or future."""
        rng = self.rng
        today = self.today
        months = rng.choice((3, 6, 12))
        roll = rng.random()
        if roll < 0.1:
            # Ordered now, starting soon.
            starts_on = today + dt.timedelta(days=rng.randint(1, 60))
            ends_on = _add_months(starts_on, months) - dt.timedelta(days=1)
            return [_Period(product, starts_on, ends_on, copies, months)]
        if roll < 0.55:
            starts_on = self.day_between(created_on, today - dt.timedelta(days=1))
            billing = rng.choice((3, 6, 12))
            return [_Period(product, starts_on, None, copies, billing)]
        ended = roll < 0.75
        latest_start = (
            _add_months(today, -months) - dt.timedelta(days=1) if ended else today
        )
        earliest_start = (
            created_on if ended else max(created_on, _add_months(today, -months))
        )
        if latest_start < earliest_start:
            latest_start = today
        starts_on = self.day_between(earliest_start, latest_start)
        found = [
            _Period(
                product,
                starts_on,
                _add_months(starts_on, months) - dt.timedelta(days=1),
                copies,
                months,
            )
        ]
        # Continued periods: the same subscription again, back to back.
        while self.chance(0.35):
            previous_start = _add_months(found[0].starts_on, -months)
            if previous_start < created_on:
                break
            found.insert(
                0,
                _Period(
                    product,
                    previous_start,
                    found[0].starts_on - dt.timedelta(days=1),
                    copies,
                    months,
                ),
            )
        return found

    def subscription(
        self,
        row: dict[str, Any],
        period: _Period,
        payer_id: int,
        delivery: InvoiceDelivery,
    ) -> None:
        rng = self.rng
        number = self.counters.subscription_number
        self.counters.subscription_number += 1
        is_ad = period.product.kind == ProductKind.AD
        if is_ad:
            unit_price = rng.choice(_AD_PRICES)
        else:
            unit_price = period.product.monthly_price * period.billing_months
        self.batch.add(
            "subscriptions",
            {
                "id": self.counters.take("subscriptions"),
                "number": number,
                "product_id": self.settings.product_ids[period.product.code],
                "subscriber_id": row["id"],
                "payer_id": payer_id,
                "starts_on": period.starts_on,
                "ends_on": period.ends_on,
                "copies": period.copies,
                "unit_price": unit_price,
                "list_price": unit_price,
                "term_months": period.billing_months,
                "continuous": period.ends_on is None,
                "billed_until": self.billed_until(period, is_ad=is_ad),
            },
        )
        ordered_on = period.starts_on - dt.timedelta(days=rng.randint(1, 20))
        ordered_on = max(min(ordered_on, self.today), row["created_on"])
        self.event(
            row["id"],
            max(self.moment(ordered_on), self.created_at),
            "subscription",
            f"Subscription {number}: {period.product.name}",
        )

        discount = row["discount_percent"]
        total = (unit_price * period.copies * (1 - discount / _HUNDRED)).quantize(_CENT)
        if total <= 0:
            return
        for invoice_date in self.billing_dates(period, is_ad=is_ad):
            invoice_date = max(invoice_date, ordered_on)
            self.invoice(row, payer_id, delivery, invoice_date, total)

    def billed_until(self, period: _Period, *, is_ad: bool) -> dt.date | None:
        """The last day the demo's invoices have billed, so a run goes on there.

        Matches :meth:`billing_dates`: a fixed term is billed whole before it
        starts, a continuous one a billing period at a time.
        """
        if is_ad:
            return (
                period.ends_on
                if period.ends_on and period.ends_on < self.today
                else None
            )
        if period.ends_on is not None:
            return (
                period.ends_on
                if period.starts_on - _INVOICE_LEAD <= self.today
                else None
            )
        billed: dt.date | None = None
        start = period.starts_on
        while start - _INVOICE_LEAD <= self.today:
            start = _add_months(start, period.billing_months)
            billed = start - dt.timedelta(days=1)
        return billed

    def billing_dates(self, period: _Period, *, is_ad: bool) -> list[dt.date]:
        """When a period is invoiced, within the years the demo keeps.

        An ad is invoiced after it has run; a fixed term once, two weeks
        before it starts; a continuous subscription two weeks before each
        billing period, up to the invoice run after today's.
        """
        if is_ad:
            dates = [(period.ends_on or period.starts_on) + dt.timedelta(days=3)]
        elif period.ends_on is not None:
            dates = [period.starts_on - _INVOICE_LEAD]
        else:
            dates = []
            start = period.starts_on
            while start - _INVOICE_LEAD <= self.today:
                dates.append(start - _INVOICE_LEAD)
                start = _add_months(start, period.billing_months)
        last = self.today + _INVOICE_LEAD
        return [d for d in dates if self.invoices_from <= d <= last]

    def invoice(
        self,
        row: dict[str, Any],
        payer_id: int,
        delivery: InvoiceDelivery,
        invoice_date: dt.date,
        total: Decimal,
    ) -> None:
        rng = self.rng
        number = self.counters.invoice_number
        self.counters.invoice_number += 1
        invoice_date = max(invoice_date, row["created_on"])
        due_date = invoice_date + dt.timedelta(days=self.settings.payment_term_days)
        if invoice_date > self.today:
            status = InvoiceStatus.DRAFT
        elif due_date >= self.today:
            status = InvoiceStatus.SENT
        else:
            status = rng.choices(
                (InvoiceStatus.PAID, InvoiceStatus.SENT, InvoiceStatus.CREDITED),
                (93, 4, 3),
            )[0]
        self.batch.add(
            "invoices",
            {
                "id": self.counters.take("invoices"),
                "number": number,
                "payer_id": payer_id,
                "invoice_date": invoice_date,
                "due_date": due_date,
                "total": total,
                "reference": payment_reference(number),
                "delivery": delivery,
                "status": status,
            },
        )
        if status != InvoiceStatus.DRAFT:
            self.event(
                payer_id,
                self.moment(invoice_date),
                "invoice",
                f"Invoice {number}: {total} EUR",
            )


def _mailbox_word(name: str) -> str:
    return "".join(c for c in fold(name) if c.isascii() and c.isalnum()) or "x"


def _mail_domain(company: str) -> str:
    # The reserved ``.example`` top-level domain: looks like a company's
    # own domain, and never is one.
    words = [_mailbox_word(w) for w in company.split()[:3]]
    name = "-".join(w for w in words if w not in ("oy", "oyj", "ky", "tmi"))
    return f"{name[:40] or 'yritys'}.example"


def _add_months(day: dt.date, months: int) -> dt.date:
    years, month_index = divmod(day.month - 1 + months, 12)
    year = day.year + years
    month = month_index + 1
    last_day = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last_day))


# Building.


async def customer_count(database: Database) -> int:
    """How many customers the register has; a demo goes only into none."""
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(Customer)) or 0


async def build_demo(
    database: Database,
    customers: int,
    clock: Clock,
    *,
    seed: int = 2026,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Fill an empty, migrated register with ``customers`` demo customers.

    Args:
        database: the register; it must have no customers yet.
        customers: how many customers to generate.
        clock: today's date decides what is past, current and future.
        seed: the same seed, count and date make the same register.
        progress: called with (customers done, customers in all) after
            each batch.

    Each batch is its own transaction, so a build that fails part way
    leaves the batches written so far: build again into a new register.

    Raises:
        KortistoError: the register already has customers, or
            ``customers`` is less than one.
    """
    if customers < 1:
        raise KortistoError(
            N_("A demo register needs at least one customer, not {count}."),
            count=customers,
        )
    started = time.perf_counter()
    today = clock.today()
    now = clock.now()
    async with database.write() as session:
        existing = await session.scalar(select(func.count()).select_from(Customer))
        if existing:
            raise KortistoError(
                N_(
                    "The register already has {count} customers; demo data goes"
                    " only into an empty register."
                ),
                count=existing,
            )
        settings = await _settings(session, now)
        counters = _Counters(ids=await _next_ids(session))

    pools = _draw_pools(seed)

    def generate(batch_index: int) -> _Batch:
        generator = _BatchGenerator(
            seed=seed,
            batch_index=batch_index,
            pools=pools,
            settings=settings,
            counters=counters,
            today=today,
            now=now,
            total=customers,
        )
        first = batch_index * BATCH_SIZE
        for index in range(first, min(first + BATCH_SIZE, customers)):
            generator.customer(index)
        return generator.batch

    totals: dict[str, int] = {t.name: 0 for t in _BATCH_TABLES}
    kinds = [0, 0, 0]
    batches = -(-customers // BATCH_SIZE)
    if progress:
        progress(0, customers)
    for batch_index in range(batches):
        batch = generate(batch_index)
        await _insert(database, batch)
        for table in _BATCH_TABLES:
            totals[table.name] += batch.count(table.name)
        kinds[0] += batch.private_customers
        kinds[1] += batch.companies
        kinds[2] += batch.ad_customers
        done = min((batch_index + 1) * BATCH_SIZE, customers)
        log.debug("demo: %d of %d customers", done, customers)
        if progress:
            progress(done, customers)

    if not database.is_sqlite:
        async with database.write() as session:
            await _advance_sequences(session)

    summary = DemoSummary(
        customers=customers,
        private_customers=kinds[0],
        companies=kinds[1],
        ad_customers=kinds[2],
        subscriptions=totals["subscriptions"],
        invoices=totals["invoices"],
        events=totals["events"],
        search_terms=totals["search_terms"],
        seconds=time.perf_counter() - started,
    )
    log.info(
        "demo register: %d customers, %d subscriptions, %d invoices, %d events"
        " in %.1f s",
        summary.customers,
        summary.subscriptions,
        summary.invoices,
        summary.events,
        summary.seconds,
    )
    return summary


async def _insert(database: Database, batch: _Batch) -> None:
    async with database.write() as session:
        await _unique_usernames(session, batch)
        connection = await session.connection()
        for table in _BATCH_TABLES:
            rows = batch.rows[table.name]
            if rows:
                await connection.execute(insert(table), rows)


async def _settings(session: AsyncSession, now: dt.datetime) -> _Settings:
    """The products, lists, bundles and salesperson; made where missing."""
    products = await _named(
        session,
        Product,
        Product.code,
        [
            Product(code=p.code, name=p.name, kind=p.kind, vat_percent=p.vat_percent)
            for p in (*_PRODUCTS, _AD_PRODUCT)
        ],
    )
    groups = await _named(
        session, Group, Group.name, [Group(name=n) for n in GROUP_NAMES]
    )
    roles = await _named(session, Role, Role.name, [Role(name=n) for n in ROLE_NAMES])

    wanted_bundles: list[Bundle] = []
    bundle_towns: dict[str, str] = {}
    for town in _TOWNS:
        if not town.bundle_code:
            continue
        for route in range(1, 2 + town.weight // 100 * 2):
            code = f"{town.bundle_code}{route:02d}"
            wanted_bundles.append(Bundle(code=code, name=f"{town.name} reitti {route}"))
            bundle_towns[code] = town.name
    # One old route already given up, as in any real register.
    wanted_bundles[-1].retired = True
    bundles = await _named(session, Bundle, Bundle.code, wanted_bundles)
    retired = set(
        await session.scalars(select(Bundle.code).where(Bundle.retired.is_(True)))
    )
    bundle_ids_by_town: dict[str, list[int]] = {}
    for code, town_name in bundle_towns.items():
        if code not in retired:
            bundle_ids_by_town.setdefault(town_name, []).append(bundles[code])
    bundle_by_postal_code = await _bundle_postal_codes(session, bundle_ids_by_town)

    salesperson = await session.scalar(
        select(Operator).where(Operator.login == SALESPERSON_LOGIN)
    )
    if salesperson is None:
        salesperson = Operator(
            login=SALESPERSON_LOGIN,
            name="Demomyyjä",
            is_salesperson=True,
            created_at=now,
        )
        session.add(salesperson)
        await session.flush()
    payment_term = await session.scalar(
        select(Setting.value).where(Setting.key == "payment_term_days")
    )
    return _Settings(
        product_ids=products,
        bundle_ids_by_town=bundle_ids_by_town,
        bundle_by_postal_code=bundle_by_postal_code,
        group_ids=groups,
        role_ids=roles,
        consent_sources=await _consent_sources(session),
        payment_term_days=int(payment_term or 14),
        salesperson_id=salesperson.id,
    )


async def _bundle_postal_codes(
    session: AsyncSession, bundle_ids_by_town: dict[str, list[int]]
) -> dict[str, int]:
    """The bundle of each postal code, dealing each town's codes to its routes.

    Codes the register already puts in a bundle keep theirs.
    """
    rows = await session.execute(
        select(BundlePostalCode.postal_code, BundlePostalCode.bundle_id)
    )
    found = {code: bundle_id for code, bundle_id in rows}
    for town_name, bundle_ids in bundle_ids_by_town.items():
        town = _TOWN_BY_NAME[town_name]
        for position, code in enumerate(town.postal_codes):
            if code not in found:
                bundle_id = bundle_ids[position % len(bundle_ids)]
                session.add(BundlePostalCode(postal_code=code, bundle_id=bundle_id))
                found[code] = bundle_id
    await session.flush()
    return found


async def _consent_sources(session: AsyncSession) -> tuple[str, ...]:
    """The sources on the register's list; the usual ones if it has none."""
    names = tuple(
        await session.scalars(
            select(ConsentSource.name)
            .where(ConsentSource.retired.is_(False))
            .order_by(ConsentSource.id)
        )
    )
    if names:
        return names
    session.add_all(ConsentSource(name=name) for name in _CONSENT_SOURCES)
    await session.flush()
    return _CONSENT_SOURCES


async def _named(
    session: AsyncSession, model: Any, key: Any, wanted: Sequence[Any]
) -> dict[str, int]:
    """Ids of ``wanted`` rows by their unique key, adding the missing ones.

    A register without customers may still have its settings lists; the
    demo uses what is there rather than failing on a duplicate name.
    """
    names = [getattr(w, key.key) for w in wanted]
    found = {
        name: id_
        for name, id_ in await session.execute(
            select(key, model.id).where(key.in_(names))
        )
    }
    missing = [w for w in wanted if getattr(w, key.key) not in found]
    session.add_all(missing)
    await session.flush()
    found.update({getattr(w, key.key): w.id for w in missing})
    return found


async def _next_ids(session: AsyncSession) -> dict[str, int]:
    ids: dict[str, int] = {}
    for table in _ID_TABLES:
        highest = await session.scalar(select(func.max(table.c.id)))
        ids[table.name] = (highest or 0) + 1
    return ids


async def _unique_usernames(session: AsyncSession, batch: _Batch) -> None:
    """Fall back to the customer number where an email is already a username.

    Usernames are unique; checking each batch against the register keeps
    memory flat where a set of every username would grow with the build.
    """
    accounts = batch.rows["self_service_accounts"]
    emails = [a["username"] for a in accounts if "@" in a["username"]]
    if not emails:
        return
    taken = set(
        await session.scalars(
            select(SelfServiceAccount.username).where(
                SelfServiceAccount.username.in_(emails)
            )
        )
    )
    if not taken:
        return
    numbers = {c["id"]: str(c["number"]) for c in batch.rows["customers"]}
    for account in accounts:
        if account["username"] in taken:
            account["username"] = numbers[account["customer_id"]]


async def _advance_sequences(session: AsyncSession) -> None:
    # The demo gives ids itself; PostgreSQL's sequences must move past
    # them, or the next operator's save would collide with a demo row.
    for table in _ID_TABLES:
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                f" (SELECT max(id) FROM {table.name}))"
            )
        )
