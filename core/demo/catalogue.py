"""Fixed facts about the fictional company "Kaveri Retail": cities, name pools, products, carriers.

The generator draws from these with a seeded RNG, and the documents quote the same constants
(delivery windows, carriers, product descriptions), so the database and the documents agree.
Every list is ordered: the generator never iterates a set, so output does not depend on hashing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

COMPANY = "Kaveri Retail"
SUPPORT_EMAIL = "support@kaveriretail.example"
HEAD_OFFICE = "Chennai"
CURRENCY = "INR"
WINDOW_DAYS = 90  # orders span the 90 days ending at "today", inclusive
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


@dataclass(frozen=True)
class CityProfile:
    """A city Kaveri Retail sells to: where it is, its delivery tier and the name pools used there."""

    name: str
    country: str
    tier: str
    customers: int
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    email_domain: str


@dataclass(frozen=True)
class DeliveryTier:
    """A promise the delivery policy makes: days from order to delivery, and who carries it."""

    name: str
    label: str
    promised_days: int
    carriers: tuple[str, ...]


DELIVERY_TIERS: tuple[DeliveryTier, ...] = (
    DeliveryTier("metro", "Tier 1 metro cities", 3, ("Coromandel Couriers", "Deccan Express Logistics")),
    DeliveryTier("regional", "Tier 2 cities", 5, ("Deccan Express Logistics", "Western Ghats Cargo")),
    DeliveryTier("international", "International destinations", 10, ("SkyBridge International", "Gulf and Orient Freight")),
)
TIERS_BY_NAME = {tier.name: tier for tier in DELIVERY_TIERS}

# Share of each carrier's shipments that arrive after the promised date: Deccan Express is the
# weak link, which gives the operations report and the analysts something to find.
CARRIER_LATE_RATES = {
    "Coromandel Couriers": 0.10,
    "Deccan Express Logistics": 0.24,
    "Western Ghats Cargo": 0.14,
    "SkyBridge International": 0.12,
    "Gulf and Orient Freight": 0.20,
}

_TAMIL_FIRST = ("Priya", "Karthik", "Lakshmi", "Arun", "Divya", "Senthil", "Meenakshi", "Vignesh", "Anitha", "Suresh",
                "Kavya", "Ramesh", "Deepa", "Murali", "Revathi", "Ganesh", "Nithya", "Balaji", "Saranya", "Prakash")
_TAMIL_LAST = ("Raman", "Krishnan", "Subramanian", "Iyer", "Natarajan", "Venkatesan", "Rajendran", "Sundaram",
               "Chandrasekaran", "Murugan", "Srinivasan", "Ramaswamy")
_MARATHI_FIRST = ("Rohan", "Aditi", "Siddharth", "Neha", "Amit", "Pooja", "Vikram", "Sneha", "Rahul", "Anjali")
_MARATHI_LAST = ("Deshpande", "Kulkarni", "Patil", "Joshi", "Mehta", "Shah", "Gokhale", "Desai", "Kapoor", "Jadhav")
_DECCAN_FIRST = ("Arjun", "Shreya", "Naveen", "Bhavana", "Kiran", "Swathi", "Manoj", "Harini", "Sandeep", "Pallavi")
_DECCAN_LAST = ("Rao", "Reddy", "Gowda", "Hegde", "Shetty", "Naidu", "Prasad", "Kamath", "Acharya", "Varma")
_DELHI_FIRST = ("Ananya", "Rajat", "Simran", "Karan", "Nisha", "Varun", "Ritika", "Gaurav", "Mansi", "Akash")
_DELHI_LAST = ("Sharma", "Verma", "Malhotra", "Khanna", "Chopra", "Sethi", "Arora", "Bansal", "Gupta", "Saxena")
_BENGALI_FIRST = ("Sourav", "Ishita", "Arnab", "Moumita", "Debashis", "Riya", "Subhajit", "Tanushree")
_BENGALI_LAST = ("Banerjee", "Chatterjee", "Mukherjee", "Ghosh", "Bose", "Sengupta", "Dutta", "Majumdar")
_MALAYALI_FIRST = ("Anoop", "Lekshmi", "Jithin", "Reshma", "Sreejith", "Aswathy", "Nikhil", "Gopika")
_MALAYALI_LAST = ("Nair", "Menon", "Pillai", "Kurian", "Thomas", "Varghese", "Panicker", "Mathew")

CITIES: tuple[CityProfile, ...] = (
    CityProfile("Chennai", "India", "metro", 20, _TAMIL_FIRST, _TAMIL_LAST, "example.in"),
    CityProfile("Mumbai", "India", "metro", 14, _MARATHI_FIRST, _MARATHI_LAST, "example.in"),
    CityProfile("Bengaluru", "India", "metro", 14, _DECCAN_FIRST, _DECCAN_LAST, "example.in"),
    CityProfile("Delhi", "India", "metro", 12, _DELHI_FIRST, _DELHI_LAST, "example.in"),
    CityProfile("Hyderabad", "India", "regional", 10, _DECCAN_FIRST, _DECCAN_LAST, "example.in"),
    CityProfile("Pune", "India", "regional", 8, _MARATHI_FIRST, _MARATHI_LAST, "example.in"),
    CityProfile("Kolkata", "India", "regional", 8, _BENGALI_FIRST, _BENGALI_LAST, "example.in"),
    CityProfile("Kochi", "India", "regional", 8, _MALAYALI_FIRST, _MALAYALI_LAST, "example.in"),
    CityProfile("London", "United Kingdom", "international", 7,
                ("Oliver", "Charlotte", "Harry", "Emily", "James", "Sophie", "George"),
                ("Whitfield", "Hartley", "Bennett", "Cartwright", "Ashworth", "Fletcher", "Pembroke"), "example.co.uk"),
    CityProfile("Dubai", "United Arab Emirates", "international", 6,
                ("Omar", "Layla", "Khalid", "Fatima", "Yousef", "Mariam"),
                ("Haddad", "Nasser", "Farouk", "Saleh", "Khoury", "Rahimi"), "example.ae"),
    CityProfile("Singapore", "Singapore", "international", 5,
                ("Marcus", "Jasmine", "Darren", "Rachel", "Benjamin"),
                ("Tan", "Lim", "Goh", "Teo", "Chua"), "example.sg"),
    CityProfile("New York", "United States", "international", 4,
                ("Michael", "Jessica", "Daniel", "Ashley", "Ryan"),
                ("Sullivan", "Goldberg", "Russo", "Carter", "Delgado"), "example.com"),
    CityProfile("Toronto", "Canada", "international", 4,
                ("Liam", "Chloe", "Ethan", "Maya"),
                ("Tremblay", "Fraser", "MacDonald", "Gagnon", "Campbell"), "example.ca"),
)
CITIES_BY_NAME = {city.name: city for city in CITIES}

# Complaint summaries call customers "Ms."/"Mr.": spaCy's small model finds Indian names as
# PERSON far more reliably with an honorific and a pronoun nearby.
FEMALE_FIRST_NAMES: frozenset[str] = frozenset((
    "Priya", "Lakshmi", "Divya", "Meenakshi", "Anitha", "Kavya", "Deepa", "Revathi", "Nithya", "Saranya",
    "Aditi", "Neha", "Pooja", "Sneha", "Anjali", "Shreya", "Bhavana", "Swathi", "Harini", "Pallavi",
    "Ananya", "Simran", "Nisha", "Ritika", "Mansi", "Ishita", "Moumita", "Riya", "Tanushree", "Lekshmi",
    "Reshma", "Aswathy", "Gopika", "Charlotte", "Emily", "Sophie", "Layla", "Fatima", "Mariam", "Jasmine",
    "Rachel", "Jessica", "Ashley", "Chloe", "Maya",
))

SEGMENTS: tuple[str, ...] = ("Consumer", "Consumer", "Consumer", "Small Business", "Corporate Gifting")


@dataclass(frozen=True)
class ProductSpec:
    """A product in the catalogue with its list price in rupees and a one-line description."""

    name: str
    category: str
    unit_price: float
    popularity: float
    description: str


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("Tanjore Brass Lamp", "Home Decor", 2450.0, 1.2, "A hand-cast brass kuthu vilakku from Thanjavur artisans, 30 cm tall, five wicks."),
    ProductSpec("Channapatna Wooden Elephant", "Home Decor", 899.0, 1.0, "A lacquered wooden toy elephant turned on a lathe in Channapatna, coloured with vegetable dyes."),
    ProductSpec("Jaipur Blue Pottery Vase", "Home Decor", 1650.0, 0.8, "A quartz-clay vase glazed in cobalt blue and white, about 25 cm high."),
    ProductSpec("Madhubani Wall Panel", "Home Decor", 3200.0, 0.5, "A hand-painted Madhubani panel on handmade paper, framed in teak, 45 by 60 cm."),
    ProductSpec("Kashmiri Papier Mache Box", "Home Decor", 1150.0, 0.6, "A lidded trinket box of papier mache painted with chinar leaves."),
    ProductSpec("Nilgiri Green Tea 250g", "Tea and Spices", 420.0, 2.0, "Whole-leaf green tea from high-grown Nilgiri estates, packed in a resealable tin."),
    ProductSpec("Assam Breakfast Tea 500g", "Tea and Spices", 560.0, 1.8, "A malty CTC blend from Upper Assam gardens, strong enough for milk and sugar."),
    ProductSpec("Darjeeling First Flush 100g", "Tea and Spices", 780.0, 1.1, "Spring-picked Darjeeling leaf with a light muscatel note."),
    ProductSpec("Malabar Black Pepper 200g", "Tea and Spices", 310.0, 1.5, "Bold Tellicherry-grade peppercorns from the Malabar coast."),
    ProductSpec("Kerala Cardamom Pods 100g", "Tea and Spices", 650.0, 1.3, "Green cardamom pods, 8 mm and above, from the Idukki hills."),
    ProductSpec("Monsoon Rain Jacket", "Apparel", 2999.0, 1.0, "A packable waterproof jacket with taped seams, made for Mumbai and Kochi monsoons."),
    ProductSpec("Kanchipuram Silk Stole", "Apparel", 4200.0, 0.6, "A pure mulberry silk stole woven in Kanchipuram with a zari border."),
    ProductSpec("Handloom Cotton Kurta", "Apparel", 1499.0, 1.4, "A breathable handloom cotton kurta, block-printed, in sizes S to XXL."),
    ProductSpec("Pashmina Shawl Classic", "Apparel", 6800.0, 0.4, "A hand-spun pashmina shawl from Srinagar weavers, 200 by 70 cm."),
    ProductSpec("Kolhapuri Leather Sandals", "Apparel", 1799.0, 0.9, "Vegetable-tanned leather sandals stitched by hand in Kolhapur."),
    ProductSpec("Cast Iron Dosa Tawa", "Kitchen", 1350.0, 1.3, "A pre-seasoned 30 cm cast iron griddle for dosa and chapati."),
    ProductSpec("Copper Water Bottle 1L", "Kitchen", 990.0, 1.6, "A seamless one-litre copper bottle with a leak-proof lid."),
    ProductSpec("Stone Mortar and Pestle", "Kitchen", 1100.0, 0.7, "A granite ural and pestle carved in Tamil Nadu for spice pastes."),
    ProductSpec("Bamboo Steamer Basket", "Kitchen", 720.0, 0.8, "A two-tier bamboo steamer for idli, momos and vegetables."),
    ProductSpec("Brass Masala Dabba", "Kitchen", 1890.0, 1.0, "A brass spice box with seven bowls and a spoon."),
    ProductSpec("Ayurvedic Neem Soap Set", "Wellness", 450.0, 1.5, "Four cold-process neem and tulsi soaps, 100 g each."),
    ProductSpec("Sandalwood Incense Cones", "Wellness", 280.0, 1.4, "Forty hand-rolled Mysore sandalwood incense cones with a brass holder."),
    ProductSpec("Coconut Oil Hair Serum", "Wellness", 540.0, 1.2, "Virgin coconut oil blended with hibiscus and curry leaf, 100 ml."),
    ProductSpec("Turmeric Face Pack", "Wellness", 390.0, 1.0, "A Kasturi turmeric and sandalwood face pack, 75 g."),
    ProductSpec("Himalayan Rose Bath Salts", "Wellness", 610.0, 0.7, "Pink rock salt with rose petals and lemongrass oil, 500 g."),
)

COMPLAINT_CATEGORIES: tuple[str, ...] = ("late delivery", "damaged", "wrong item", "billing")

# How many complaints of each kind the demo holds; the late-delivery count excludes the ones
# guaranteed in the previous calendar month (LATE_LAST_MONTH).
COMPLAINTS_PER_CATEGORY = {"late delivery": 9, "damaged": 8, "wrong item": 7, "billing": 7}
LATE_LAST_MONTH = 5

# What "damaged" means depends on what was in the box.
DAMAGE_DETAILS: dict[str, tuple[str, ...]] = {
    "Home Decor": ("the {product} arrived cracked along one side", "the {product} was scratched and one corner had chipped off"),
    "Tea and Spices": ("the seal on the {product} was broken and the contents had spilled",
                       "the {product} pack was torn and soaked through"),
    "Apparel": ("the {product} arrived torn at a seam", "the {product} was stained by a leaking parcel packed next to it"),
    "Kitchen": ("the box was crushed and the {product} inside was dented", "the {product} arrived with a crack in it"),
    "Wellness": ("the seal on the {product} was broken and the contents had spilled", "the {product} arrived crushed"),
}
BILLING_DETAILS: tuple[str, ...] = (
    "was charged twice",
    "was charged the full price, without the festival discount shown at checkout,",
    "was charged a delivery fee, which the order page said was waived,",
)
SUPPORT_AGENTS: tuple[str, ...] = ("Meera", "Farhan", "Latha", "Joseph", "Sunita")

# Late-delivery compensation the delivery policy promises: (least days late, most days late or
# None for "or more", what the customer gets). Call transcripts offer exactly these.
COMPENSATION: tuple[tuple[int, int | None, str], ...] = (
    (1, 2, "a voucher worth 10% of the order value"),
    (3, 5, "a refund of the delivery fee and a voucher worth 15% of the order value"),
    (6, None, "a refund of the delivery fee and a voucher worth 25% of the order value, or a full refund if the customer cancels"),
)

# Returns policy per category: (days to return after delivery, condition).
RETURN_RULES: dict[str, tuple[int, str]] = {
    "Home Decor": (15, "Unused, in the original packaging"),
    "Tea and Spices": (7, "Sealed and unopened"),
    "Apparel": (30, "Unworn, with tags attached"),
    "Kitchen": (15, "Unused, in the original packaging"),
    "Wellness": (7, "Sealed and unopened"),
}


def compensation_for(days_late: int) -> str:
    """What the delivery policy offers for a parcel that arrived ``days_late`` days after its promise."""
    for least, most, offer in COMPENSATION:
        if days_late >= least and (most is None or days_late <= most):
            return offer
    return "nothing: the delivery was on time"


def window_start(today: dt.date) -> dt.date:
    """First day of the 90-day window of orders that ends at ``today`` (inclusive)."""
    return today - dt.timedelta(days=WINDOW_DAYS - 1)


def current_week(today: dt.date) -> tuple[dt.date, dt.date]:
    """The ISO week so far: its Monday and ``today``."""
    return today - dt.timedelta(days=today.weekday()), today


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the calendar month before the one ``today`` is in."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def long_date(day: dt.date) -> str:
    """'4 March 2025', independent of the process locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from ``first`` to ``last``, both included."""
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
