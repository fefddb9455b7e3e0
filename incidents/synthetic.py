"""Deterministic, realistic synthetic incident documents (SPEC §4 shape) for load and benchmarks.

`synthetic_incident(index, seed=S)` is a pure function of (index, seed): batches can be built in
any order or size and a re-run produces the same documents, so an import of them is an upsert
that changes nothing the second time. Distributions follow `data/incidents.json` where it has
enough records (platform vocabulary, ~2 participants, China as the usual initiator, media as the
usual source) and spread the rest across every kind, region and year 2015–2025, with more
incidents in later years:

- kinds: 35 % intercept, 40 % median-line crossing (all in `taiwan-strait`), 25 % navigation
  dispute; intercepts and disputes spread over all eight regions, each scenario (who intercepts
  whom with what, who blocks whom) in the regions where it happens;
- status: 90 % published, 7 % draft, 3 % retracted (with a reason); 1 % marked disputed;
- participants: an initiator and a target, a third participant in ~10 % (2.1 on average);
- sources: 1–3 per incident (1.7 on average) with distinct URLs; ~8 % of citations official,
  ~85 % media; ~11 % of citations cite a source shared with other incidents
  (a daily defence-ministry report for crossings on the same day, a weekly research round-up per
  region, a daily wire round-up per region), their fields a function of their URL alone;
- coordinates on ~30 % of records at a named feature, `occurred_at` on ~40 %, a median-line
  track on ~8 % of crossings (most cross the line, some turn back short of it).

W1 of the benchmark filters kind and region over 2019–2023: at 1,000,000 incidents
`intercept`/`south-china-sea` matches ~44,000 published incidents, the crossings ~180,000.

`SEARCH_WORD` ("flares") appears in about 1 % of summaries and in no title, location name or
source title, so `?q=flares` matches about 1 % of incidents (benchmark W4). All URLs are under
the reserved `.example` top-level domain: nothing here claims to be a real report.
"""

import datetime as dt
import json
import math
import random
from collections.abc import Iterator
from functools import cache

from django.conf import settings

SEARCH_WORD = "flares"
SEARCH_WORD_SHARE = 0.01
FIRST_DAY = dt.date(2015, 1, 1)
YEARS = list(range(2015, 2026))
# Relative number of incidents per year: reporting (and activity) grew over the decade.
YEAR_WEIGHTS = [1, 1.2, 1.4, 1.6, 2, 2.5, 3, 4.5, 5, 5.5, 6]

KINDS = [(35, "intercept"), (40, "median_line_crossing"), (25, "navigation_dispute")]
INTERCEPT_REGIONS = [
    (30, "south-china-sea"),
    (20, "east-china-sea"),
    (12, "taiwan-strait"),
    (10, "philippine-sea"),
    (10, "sea-of-japan"),
    (8, "yellow-sea"),
    (7, "western-pacific"),
    (3, "indian-ocean"),
]
JAPAN_REGIONS = [(60, "east-china-sea"), (25, "sea-of-japan"), (15, "philippine-sea")]
FONOP_REGIONS = [
    (70, "south-china-sea"),
    (10, "taiwan-strait"),
    (5, "east-china-sea"),
    (5, "yellow-sea"),
    (4, "philippine-sea"),
    (3, "sea-of-japan"),
    (2, "western-pacific"),
    (1, "indian-ocean"),
]
# (name, lat, lon) of features an incident is placed at; coordinates are jittered around them.
FEATURES = {
    "south-china-sea": [
        ("Second Thomas (Ayungin) Shoal", 9.72, 115.87),
        ("Scarborough Shoal (Bajo de Masinloc)", 15.15, 117.76),
        ("Sabina Shoal", 9.75, 116.48),
        ("Subi Reef, Spratly Islands", 10.92, 114.08),
        ("Fiery Cross Reef, Spratly Islands", 9.55, 112.89),
        ("Mischief Reef, Spratly Islands", 9.90, 115.53),
        ("Paracel Islands", 16.50, 112.00),
        ("Whitsun Reef", 9.98, 114.66),
    ],
    "east-china-sea": [
        ("Senkaku (Diaoyu) Islands", 25.75, 123.48),
        ("International airspace over the East China Sea", 29.50, 125.00),
        ("Chunxiao gas field", 28.25, 124.90),
    ],
    "taiwan-strait": [
        ("Taiwan Strait median line", 24.50, 119.50),
        ("Kinmen restricted waters", 24.43, 118.32),
        ("Penghu Islands", 23.57, 119.58),
    ],
    "yellow-sea": [("International waters of the Yellow Sea", 36.00, 123.50)],
    "philippine-sea": [
        ("East of the Bashi Channel", 20.80, 123.20),
        ("Benham Rise", 16.50, 124.70),
    ],
    "sea-of-japan": [("Tsushima Strait", 34.40, 129.50), ("Yamato Bank", 39.30, 134.50)],
    "western-pacific": [("Near Guam", 13.40, 144.80), ("Miyako Strait", 24.90, 125.80)],
    "indian-ocean": [("Strait of Malacca approaches", 5.90, 95.40)],
}
PUBLISHERS = [
    "Pacific Wire",
    "Strait Herald",
    "Manila Morning Post",
    "Island Defense Review",
    "Northern Sea Courier",
    "Coastal Monitor",
    "Asia Security Journal",
    "Reef Watch",
    "The Maritime Ledger",
    "Harbor Daily",
    "Defense Line News",
    "Open Sky Report",
    "Seaboard Chronicle",
    "Archipelago Times",
    "Frontier Aviation Weekly",
    "Capital Dispatch",
]
OFFICIAL_PUBLISHERS = {
    "TW": "Ministry of National Defense (Taiwan)",
    "PH": "Philippine Coast Guard",
    "US": "US Indo-Pacific Command",
    "JP": "Japan Joint Staff",
    "CA": "Department of National Defence (Canada)",
    "AU": "Australian Department of Defence",
    "CN": "Ministry of National Defense (PRC)",
}
CONDUCTS = [(70, "unknown"), (15, "unsafe"), (7, "unprofessional"), (8, "professional")]
MANEUVERS = [
    "barrel roll over the aircraft",
    "head-on pass",
    "crossed the nose",
    "released chaff",
    "excessive rate of closure",
    "flew in formation off the wing",
    "cut across the bow",
    "shadowed at close range",
]
APPROACH_TEXTS = ["within {feet} feet", "about {metres} metres", "some {yards} yards away"]
RETRACTION_REASONS = [
    "The only source withdrew its report.",
    "Merged into an earlier record of the same event.",
    "The reported date was wrong and the event could not be confirmed.",
]

# Intercept scenarios: (weight, domain, initiator, target, regions); a party is
# (country, force, platform slugs to choose from, None meaning "type not reported").
AIR_FIGHTERS = ["j-11", "j-10", "j-16", "su-30", None]
PLAN, PLAAF = "PLA Navy", "PLA Air Force"
INTERCEPT_SCENARIOS = [
    (30, "air", ("CN", PLAN, AIR_FIGHTERS), ("US", "US Navy", ["p-8a", "ep-3e", "p-3"])),
    (20, "air", ("CN", PLAAF, AIR_FIGHTERS), ("US", "US Air Force", ["rc-135", "wc-135", "b-52"])),
    (8, "air", ("CN", "PLA", AIR_FIGHTERS), ("CA", "Royal Canadian Air Force", ["cp-140"])),
    (4, "air", ("CN", PLAN, ["j-11", None]), ("CA", "Royal Canadian Navy", ["ch-148"])),
    (6, "air", ("CN", PLAAF, AIR_FIGHTERS), ("AU", "Royal Australian Air Force", ["p-8a"])),
    (4, "air", ("CN", PLAN, ["j-16", None]), ("AU", "Royal Australian Navy", ["mh-60r"])),
    (5, "air", ("CN", "PLA", AIR_FIGHTERS), ("PH", "Philippine Air Force", ["nc-212i", None])),
    (
        8,
        "sea",
        ("CN", PLAN, ["luyang-destroyer", "type-054a-frigate"]),
        ("US", "US Navy", ["arleigh-burke-destroyer"]),
    ),
    (
        4,
        "sea",
        ("CN", PLAN, ["type-054a-frigate"]),
        ("CA", "Royal Canadian Navy", ["halifax-frigate"]),
    ),
    (
        3,
        "sea",
        ("CN", PLAN, ["dalang-iii-rescue-vessel"]),
        ("AU", "Royal Australian Navy", ["anzac-frigate"]),
    ),
]
INTERCEPT_SCENARIOS = [(*scenario, INTERCEPT_REGIONS) for scenario in INTERCEPT_SCENARIOS] + [
    (
        8,
        "air",
        ("JP", "Japan Air Self-Defense Force", ["f-15j", "f-2"]),
        ("CN", PLAAF, ["h-6", "y-9", "kj-500", "y-8"]),
        JAPAN_REGIONS,
    ),
]
# Navigation-dispute scenarios: (weight, initiator, target, dispute types, usual zone, regions).
CCG = ("CN", "China Coast Guard", ["ccg-cutter"])
DISPUTE_SCENARIOS = [
    (
        40,
        CCG,
        ("PH", "Philippine Coast Guard", ["parola-cutter", "teresa-magbanua-cutter", "pcg-cutter"]),
        [
            "water_cannon",
            "blocking",
            "ramming",
            "collision",
            "laser",
            "acoustic_device",
            "unsafe_maneuver",
            "shadowing",
        ],
        "eez",
        [(1, "south-china-sea")],
    ),
    (
        20,
        ("CN", "Chinese maritime militia", ["maritime-militia-vessel"]),
        (
            "PH",
            "Bureau of Fisheries and Aquatic Resources",
            ["bfar-patrol-vessel", "resupply-boat"],
        ),
        ["blocking", "shadowing", "unsafe_maneuver", "collision"],
        "eez",
        [(1, "south-china-sea")],
    ),
    (
        15,
        ("US", "US Navy", ["arleigh-burke-destroyer"]),
        ("CN", "People's Republic of China (claimant)", [None]),
        ["fonop", "radio_challenge", "shadowing"],
        "territorial_sea",
        FONOP_REGIONS,
    ),
    (
        15,
        CCG,
        ("JP", "Japan Coast Guard", [None]),
        ["shadowing", "radio_challenge", "blocking"],
        "contiguous_zone",
        JAPAN_REGIONS,
    ),
    (
        10,
        CCG,
        ("TW", "Coast Guard Administration (Taiwan)", [None]),
        ["boarding", "shadowing", "seizure", "radio_challenge"],
        "territorial_sea",
        [(1, "taiwan-strait")],
    ),
]
CROSSING_PLATFORMS = ["j-10", "j-11", "j-16", "su-30", "h-6", "kj-500", "y-8", "y-9"]
ZONES = ["territorial_sea", "contiguous_zone", "eez", "high_seas", "unknown"]


@cache
def _day_weights() -> tuple[list[dt.date], list[float]]:
    days, weights = [], []
    for year, weight in zip(YEARS, YEAR_WEIGHTS, strict=True):
        day = dt.date(year, 1, 1)
        while day.year == year:
            days.append(day)
            weights.append(weight)
            day += dt.timedelta(days=1)
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    return days, cumulative


@cache
def synthetic_platforms() -> list[dict]:
    """The platform vocabulary of the shipped real data, which the participants refer to."""
    with open(settings.BASE_DIR / "data" / "incidents.json", encoding="utf-8") as file:
        return json.load(file)["platforms"]


def _pick(rng: random.Random, table: list[tuple]) -> tuple:
    """One row of `table`, whose rows start with their weight."""
    point = rng.random() * sum(row[0] for row in table)
    for row in table:
        point -= row[0]
        if point < 0:
            return row
    return table[-1]


def _participant(country, role, force, platform, count=1, detail=None) -> dict:
    return {
        "country": country,
        "role": role,
        "force": force,
        "platform": platform,
        "platform_detail": detail,
        "count": count,
    }


def _shared_source(kind: str, day: dt.date, region: str) -> dict:
    """A source several incidents cite; every field follows from the URL's parts alone."""
    if kind == "mnd":
        return {
            "url": f"https://mnd.example/plaact/{day.isoformat()}",
            "publisher": OFFICIAL_PUBLISHERS["TW"],
            "title": f"PLA activities around Taiwan, report of {day:%d %B %Y}",
            "published_on": day.isoformat(),
            "type": "official",
        }
    if kind == "weekly":
        year, week, _ = day.isocalendar()
        monday = day - dt.timedelta(days=day.weekday())
        return {
            "url": f"https://research.example/weekly/{region}/{year}-W{week:02d}",
            "publisher": "Indo-Pacific Maritime Review",
            "title": f"Weekly brief: {region.replace('-', ' ')} activity, week {week} of {year}",
            "published_on": (monday + dt.timedelta(days=7)).isoformat(),
            "type": "research",
        }
    return {
        "url": f"https://wire.example/{day:%Y/%m/%d}/{region}-roundup",
        "publisher": "Pacific Wire",
        "title": f"Regional round-up: {region.replace('-', ' ')}, {day:%d %B %Y}",
        "published_on": day.isoformat(),
        "type": "media",
    }


def _sources(rng: random.Random, key: str, kind: str, day: dt.date, region: str, slug: str):
    wanted = rng.choices([1, 2, 3], weights=[50, 30, 20])[0]
    sources = []
    if kind == "median_line_crossing" and rng.random() < 0.20:
        sources.append(_shared_source("mnd", day, region))
    elif kind != "median_line_crossing" and rng.random() < 0.06:
        sources.append(_shared_source("weekly", day, region))
    if len(sources) < wanted and rng.random() < 0.08:
        sources.append(_shared_source("wire", day, region))
    for position in range(wanted - len(sources)):
        published = day + dt.timedelta(days=rng.choice([0, 0, 1, 1, 2]))
        roll = rng.random()
        if roll < 0.04:
            country = rng.choice(list(OFFICIAL_PUBLISHERS))
            publisher, source_type, host = OFFICIAL_PUBLISHERS[country], "official", "gov.example"
        elif roll < 0.07:
            publisher, source_type, host = "Open Source Watchers", "social", "social.example"
        elif roll < 0.09:
            publisher, source_type, host = (
                "Indo-Pacific Maritime Review",
                "research",
                "research.example",
            )
        else:
            publisher = rng.choice(PUBLISHERS)
            source_type, host = "media", publisher.lower().replace(" ", "-") + ".example"
        sources.append(
            {
                "url": f"https://{host}/{published:%Y/%m/%d}/{slug}-{key}-{position}",
                "publisher": publisher,
                "title": f"{publisher}: {slug.replace('-', ' ')} reported on {day:%d %B %Y}",
                "published_on": published.isoformat(),
                "type": source_type,
            }
        )
    return sources


def _track(rng: random.Random) -> dict:
    """A GeoJSON track across (or, now and then, short of) the median line, west to east."""
    along = rng.uniform(0.15, 0.85)  # position along the line, 0 = south end
    base_lon, base_lat = 118.0 + 4 * along, 23.0 + 4 * along
    normal = (1 / math.sqrt(2), -1 / math.sqrt(2))  # pointing east of the line
    reach = rng.uniform(0.05, 0.6) if rng.random() < 0.85 else -rng.uniform(0.02, 0.2)
    offsets = [-0.6, -0.25, reach, reach * 0.5 if rng.random() < 0.3 else -0.3]
    coordinates = []
    for step, offset in enumerate(offsets):
        drift = 0.05 * step
        coordinates.append(
            [
                round(base_lon + offset * normal[0] + drift, 4),
                round(base_lat + offset * normal[1] + drift, 4),
            ]
        )
    return {"type": "LineString", "coordinates": coordinates}


def _intercept(rng: random.Random, scenario: tuple, where: str):
    _, domain, initiator, target, _ = scenario
    i_country, i_force, i_platforms = initiator
    t_country, t_force, t_platforms = target
    i_platform, t_platform = rng.choice(i_platforms), rng.choice(t_platforms)
    count = rng.choice([1, 1, 1, 2, 2, 3])
    participants = [
        _participant(i_country, "initiator", i_force, i_platform, count),
        _participant(t_country, "target", t_force, t_platform, 1),
    ]
    metres = round(rng.lognormvariate(4.5, 1.2), 1) if rng.random() < 0.6 else None
    text = ""
    if metres is not None:
        template = rng.choice(APPROACH_TEXTS)
        text = template.format(
            feet=round(metres * 3.281), metres=round(metres), yards=round(metres * 1.094)
        )
    details = {
        "domain": domain,
        "closest_approach_m": metres,
        "closest_approach_text": text,
        "maneuvers": rng.sample(MANEUVERS, rng.choice([0, 1, 1, 2, 3])),
    }
    i_name = _platform_name(i_platform, "fighter" if domain == "air" else "warship")
    t_name = _platform_name(t_platform, "patrol aircraft" if domain == "air" else "warship")
    title = f"{i_force} {i_name} intercepts {t_force} {t_name} near {where}"
    summary = (
        f"{_count_words(count)} {i_force} {i_name} intercepted a {t_force} {t_name} "
        f"on a routine mission near {where}. "
        + (f"Officials said it came {text}. " if text else "No distance was reported. ")
        + (
            f"The crew described the manoeuvres: {', '.join(details['maneuvers'])}. "
            if details["maneuvers"]
            else ""
        )
    )
    return participants, details, title, summary


def _crossing(rng: random.Random, day: dt.date):
    aircraft = rng.randint(1, 45) if rng.random() < 0.95 else None
    vessels = rng.randint(1, 8) if rng.random() < 0.2 else None
    total = (aircraft or 0) + rng.randint(0, 30) if rng.random() < 0.8 else None
    participants = [
        _participant("CN", "initiator", "PLA", None, aircraft or 1, "aircraft of several types")
    ]
    if rng.random() < 0.12:
        platform = rng.choice(CROSSING_PLATFORMS)
        participants.append(_participant("CN", "initiator", "PLA Air Force", platform, 1))
    participants.append(_participant("TW", "target", "Republic of China Armed Forces", None))
    details = {
        "aircraft_count": aircraft,
        "vessel_count": vessels,
        "aircraft_total_reported": total,
        "period_start": day.isoformat(),
        "period_end": (day + dt.timedelta(days=1)).isoformat(),
    }
    if rng.random() < 0.08:
        details["track"] = _track(rng)
    figure = f"{aircraft} PLA aircraft" if aircraft else "PLA aircraft (no figure given)"
    title = f"{figure} cross the Taiwan Strait median line"
    summary = (
        f"Taiwan's defence ministry reported that {figure} crossed the median line of the "
        f"Taiwan Strait in the window starting {day:%d %B %Y}. "
        + (f"It counted {total} aircraft around the island in all. " if total else "")
        + (f"{vessels} naval vessels were also tracked. " if vessels else "")
        + "Taiwan scrambled aircraft and deployed missile systems to monitor the activity. "
    )
    return participants, details, title, summary


def _dispute(rng: random.Random, scenario: tuple, where: str):
    _, initiator, target, types, zone, _ = scenario
    i_country, i_force, i_platforms = initiator
    t_country, t_force, t_platforms = target
    count = rng.choice([1, 1, 2, 3, 4])
    participants = [
        _participant(i_country, "initiator", i_force, rng.choice(i_platforms), count),
        _participant(t_country, "target", t_force, rng.choice(t_platforms), 1),
    ]
    chosen = rng.sample(types, rng.choice([1, 1, 2, 3]))
    details = {
        "dispute_types": chosen,
        "feature": where if rng.random() < 0.8 else None,
        "zone": zone if rng.random() < 0.85 else rng.choice(ZONES),
    }
    actions = ", ".join(t.replace("_", " ") for t in chosen)
    title = f"{i_force} and {t_force} in {chosen[0].replace('_', ' ')} incident near {where}"
    summary = (
        f"{_count_words(count)} {i_force} {'vessel' if count == 1 else 'vessels'} confronted "
        f"the {t_force} near {where}. "
        f"Reports describe {actions}. Both sides accused the other of violating international "
        "law and lodged diplomatic protests. "
    )
    return participants, details, title, summary


@cache
def _platform_names() -> dict[str, str]:
    return {platform["slug"]: platform["name"] for platform in synthetic_platforms()}


def _platform_name(slug: str | None, fallback: str) -> str:
    return _platform_names()[slug] if slug else fallback


def _count_words(count: int) -> str:
    return ["One", "Two", "Three", "Four"][count - 1] if count <= 4 else str(count)


def synthetic_incident(index: int, *, seed: int) -> dict:
    """Incident number `index` of the synthetic set `seed`: the same arguments, the same document."""
    rng = random.Random(seed * 10_000_019 + index)
    kind = _pick(rng, KINDS)[1]
    days, cumulative = _day_weights()
    day = days[min(_bisect(cumulative, rng.random() * cumulative[-1]), len(days) - 1)]
    if kind == "median_line_crossing":
        region = "taiwan-strait"
        feature = FEATURES[region][0]
    else:
        scenario = _pick(rng, INTERCEPT_SCENARIOS if kind == "intercept" else DISPUTE_SCENARIOS)
        region = _pick(rng, scenario[-1])[1]
        feature = rng.choice(FEATURES[region])
    where = feature[0]
    if kind == "intercept":
        participants, details, title, summary = _intercept(rng, scenario, where)
    elif kind == "median_line_crossing":
        participants, details, title, summary = _crossing(rng, day)
    else:
        participants, details, title, summary = _dispute(rng, scenario, where)
    if rng.random() < 0.05:
        participants.append(_participant("US", "other", "US Navy", None, 1, "observer"))
    if rng.random() < SEARCH_WORD_SHARE:
        summary += f"Witnesses said {SEARCH_WORD} were released during the encounter. "

    precision = "day"
    roll = rng.random()
    if roll < 0.015 and kind != "median_line_crossing":
        precision, day = "month", day.replace(day=1)
    elif roll < 0.02 and kind != "median_line_crossing":
        precision, day = "year", day.replace(month=1, day=1)
    occurred_at = None
    if precision == "day" and rng.random() < 0.4:
        # Local time in UTC+8: the UTC date is the same day or the one before.
        local = dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.choice([0, 15, 30, 45])))
        occurred_at = (local - dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    latitude = longitude = None
    if rng.random() < 0.3:
        latitude = round(feature[1] + rng.uniform(-0.2, 0.2), 4)
        longitude = round(feature[2] + rng.uniform(-0.2, 0.2), 4)

    status_roll = rng.random()
    status = "published" if status_roll < 0.90 else "draft" if status_roll < 0.97 else "retracted"
    slug = f"{kind.replace('_', '-')}-{region}"
    document = {
        "external_id": f"synthetic-{seed}-{index:08d}",
        "kind": kind,
        "status": status,
        "title": title[:200],
        "summary": summary.strip(),
        "occurred_on": day.isoformat(),
        "occurred_at": occurred_at,
        "date_precision": precision,
        "region": region,
        "location_name": where,
        "latitude": latitude,
        "longitude": longitude,
        "conduct": _pick(rng, CONDUCTS)[1],
        "participants": participants,
        "sources": _sources(rng, f"{seed}-{index}", kind, day, region, slug),
        "details": details,
    }
    if status == "retracted":
        document["retraction_reason"] = rng.choice(RETRACTION_REASONS)
    if rng.random() < 0.01:
        document["verification"] = "disputed"
    return document


def _bisect(cumulative: list[float], value: float) -> int:
    low, high = 0, len(cumulative)
    while low < high:
        middle = (low + high) // 2
        if cumulative[middle] <= value:
            low = middle + 1
        else:
            high = middle
    return low


def synthetic_incidents(start: int, stop: int, *, seed: int) -> Iterator[dict]:
    for index in range(start, stop):
        yield synthetic_incident(index, seed=seed)


def synthetic_batch(start: int, stop: int, *, seed: int) -> dict:
    """An interchange document (SPEC §4) holding incidents start..stop-1 and the platforms."""
    return {
        "platforms": synthetic_platforms(),
        "incidents": list(synthetic_incidents(start, stop, seed=seed)),
    }
