"""Reference data of a generated site: regions, universities, people of every role, products
and their experts, projects with their line-1 teams. A few thousand rows: written with the ORM.
"""

# ruff: noqa: S311 - seeded pseudo-random data on purpose: the same seed, the same data

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password

from bench.gen import words
from campusdesk.accounts.models import Organisation, Region, User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Product, ProductExpert, Project

VENDOR = "华信高校软件股份有限公司"

#: vendor role → how many people per 100 customer organisations (at least the minimum)
STAFF: dict[Role, tuple[float, int]] = {
    Role.AGENT: (3, 2),
    Role.ENGINEER: (35, 2),
    Role.OPS: (2, 1),
    Role.MANAGER: (10, 1),
    Role.SUPERVISOR: (0, 7),
    Role.HQ: (1, 1),
    Role.ADMIN: (0, 1),
}
CUSTOMERS_PER_ORG = (4, 12)


@dataclass
class ProjectInfo:
    id: int
    organisation_id: int
    product_id: int
    line1: list[int]
    customers: list[int]


@dataclass
class World:
    """What the ticket stories draw on: ids only."""

    projects: list[ProjectInfo]
    project_weights: list[float]
    experts: dict[tuple[int, int], list[int]]  # (product, tier) → users
    agents: list[int]
    ops: list[int]
    users_by_role: dict[str, list[int]] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)


def _person(rng: random.Random) -> str:
    return rng.choice(words.SURNAMES) + "".join(rng.choices(words.GIVEN, k=rng.choice((1, 2))))


def _universities(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """``count`` distinct (name, short name, region) of made-up universities."""
    combos = [(p, k, s) for p in words.PLACES for k, s in words.KINDS]
    rng.shuffle(combos)
    result = [(f"{p}{k}", f"{p}{s}", words.PLACES[p]) for p, k, s in combos[:count]]
    for extra in range(count - len(result)):  # beyond 720: number the campuses
        p, k, s = combos[extra % len(combos)]
        n = extra // len(combos) + 2
        result.append((f"{p}{k}第{n}校区", f"{p}{s}{n}", words.PLACES[p]))
    return result


def _user(
    username: str, role: Role, org: Organisation, display: str, password: str, n: int
) -> User:
    return User(
        username=username,
        role=role,
        organisation=org,
        display_name=display,
        password=password,
        email=f"{username}@{'vendor' if role != Role.CUSTOMER else f'org{org.pk}'}.example",
        phone=f"138{n:08d}",
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )


def build(*, rng: random.Random, orgs: int, first: date, last: date, password: str) -> World:
    """Create the reference data and describe it for the ticket stories."""
    hashed = make_password(password)
    regions = {
        name: Region.objects.get_or_create(name=name)[0] for name in set(words.PLACES.values())
    }
    vendor, _ = Organisation.objects.get_or_create(
        name=VENDOR,
        defaults={
            "short_name": "华信",
            "kind": Organisation.Kind.VENDOR,
            "email_domains": "vendor.example",
        },
    )
    universities = Organisation.objects.bulk_create(
        Organisation(
            name=name,
            short_name=short,
            region=regions[region],
            email_domains=f"org{i}.example",
            kind=Organisation.Kind.CUSTOMER,
        )
        for i, (name, short, region) in enumerate(_universities(rng, orgs))
    )
    staff = _vendor_staff(rng, orgs, vendor, regions, hashed)
    products = _products()
    experts = _experts(rng, products, vendor, hashed)
    customers = _customers(rng, universities, hashed)
    projects = _projects(rng, universities, products, staff, customers, first, last)
    by_role: dict[str, list[int]] = {}
    for user in User.objects.filter(organisation__in=[vendor, *universities]).only("id", "role"):
        by_role.setdefault(user.role, []).append(user.pk)
    names = dict(User.objects.values_list("id", "display_name"))
    weights = [rng.paretovariate(2.5) for _ in projects]
    return World(
        projects=projects,
        project_weights=weights,
        experts=experts,
        agents=by_role[Role.AGENT],
        ops=by_role[Role.OPS],
        users_by_role=by_role,
        products={p.code: p.pk for p in products},
        names=names,
    )


def _vendor_staff(
    rng: random.Random, orgs: int, vendor: Organisation, regions: dict[str, Region], hashed: str
) -> dict[Role, list[User]]:
    staff: dict[Role, list[User]] = {}
    rows: list[User] = []
    for role, (per_hundred, minimum) in STAFF.items():
        count = max(minimum, round(per_hundred * orgs / 100))
        for n in range(count):
            user = _user(f"{role.value}{n:03d}", role, vendor, "", hashed, len(rows))
            user.display_name = f"{role.label} {_person(rng)}"
            if role == Role.SUPERVISOR:
                user.region = sorted(regions.values(), key=lambda r: r.name)[n % len(regions)]
            rows.append(user)
            staff.setdefault(role, []).append(user)
    User.objects.bulk_create(rows)
    return staff


def _products() -> list[Product]:
    return [
        Product.objects.update_or_create(code=code, defaults={"name": name, "description": text})[0]
        for code, (name, text, _modules) in words.PRODUCTS.items()
    ]


def _experts(
    rng: random.Random, products: list[Product], vendor: Organisation, hashed: str
) -> dict[tuple[int, int], list[int]]:
    """Two line-2 experts per product, one line-3 expert per product, one task force of 4."""
    rows, links = [], []
    taskforce = [
        _user(f"taskforce{n:03d}", Role.TASKFORCE, vendor, "", hashed, 9000 + n) for n in range(4)
    ]
    rows += taskforce
    for i, product in enumerate(products):
        for role, tier, count in ((Role.EXPERT2, 2, 2), (Role.EXPERT3, 3, 1)):
            for n in range(count):
                user = _user(
                    f"{role.value}_{product.code}{n}",
                    role,
                    vendor,
                    "",
                    hashed,
                    9100 + i * 10 + tier * 3 + n,
                )
                rows.append(user)
                links.append((product, user, tier))
        links += [(product, user, 4) for user in taskforce]
    for user in rows:
        user.display_name = f"{user.get_role_display()} {_person(rng)}"
    User.objects.bulk_create(rows)
    ProductExpert.objects.bulk_create(ProductExpert(product=p, user=u, tier=t) for p, u, t in links)
    experts: dict[tuple[int, int], list[int]] = {}
    for product, user, tier in links:
        experts.setdefault((product.pk, tier), []).append(user.pk)
    return experts


def _customers(
    rng: random.Random, universities: list[Organisation], hashed: str
) -> dict[int, list[int]]:
    rows: list[User] = []
    for i, org in enumerate(universities):
        for n in range(rng.randint(*CUSTOMERS_PER_ORG)):
            user = _user(f"c{i:03d}_{n:02d}", Role.CUSTOMER, org, "", hashed, 100000 + len(rows))
            user.display_name = f"{rng.choice(words.DEPARTMENTS)} {rng.choice(words.SURNAMES)}老师"
            rows.append(user)
    User.objects.bulk_create(rows)
    result: dict[int, list[int]] = {}
    for user in rows:
        result.setdefault(user.organisation_id or 0, []).append(user.pk)
    return result


def _projects(
    rng: random.Random,
    universities: list[Organisation],
    products: list[Product],
    staff: dict[Role, list[User]],
    customers: dict[int, list[int]],
    first: date,
    last: date,
) -> list[ProjectInfo]:
    """Each university runs one to three products; every project has a line-1 team of 1–2."""
    rows, teams = [], []
    engineers, managers = staff[Role.ENGINEER], staff[Role.MANAGER]
    main = products[: min(4, len(products))]
    for org in universities:
        chosen = rng.sample(products, rng.choice((1, 1, 2, 2, 2, 3)))
        if not any(p in main for p in chosen):
            chosen[0] = rng.choice(main)
        for product in chosen:
            start = first - timedelta(days=rng.randint(0, 400))
            rows.append(
                Project(
                    name=f"{product.name}运维服务",
                    organisation=org,
                    product=product,
                    service_start=start,
                    service_end=last + timedelta(days=rng.randint(200, 900)),
                    service_manager=rng.choice(managers),
                )
            )
            teams.append(rng.sample(engineers, min(len(engineers), rng.choice((1, 2, 2)))))
    Project.objects.bulk_create(rows)
    Project.line1_team.through.objects.bulk_create(
        Project.line1_team.through(project_id=project.pk, user_id=user.pk)
        for project, team in zip(rows, teams, strict=True)
        for user in team
    )
    return [
        ProjectInfo(
            project.pk,
            project.organisation_id,
            project.product_id,
            [u.pk for u in team],
            customers[project.organisation_id],
        )
        for project, team in zip(rows, teams, strict=True)
    ]
