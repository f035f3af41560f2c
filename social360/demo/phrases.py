"""Vocabulary of the demo generator: names, products and what customers and agents write."""

from __future__ import annotations

import random

FIRST_NAMES = [
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas", "Mia", "Mateo",
    "Amelia", "Benjamin", "Harper", "Henry", "Evelyn", "Theodore", "Abigail", "Jack", "Emily", "Levi", "Ella",
    "Alexander", "Chloe", "Daniel", "Grace", "Samuel", "Nora", "David", "Zoe", "Joseph", "Lily", "Ethan",
    "Hannah", "Owen", "Aria", "Wyatt", "Layla", "Sebastian", "Priya", "Arjun", "Mei", "Hiroshi", "Fatima",
    "Omar", "Chiara", "Lars", "Ingrid", "Diego", "Lucia", "Kwame", "Amara", "Sven", "Yusuf", "Aisha", "Jonas",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker",
    "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams",
    "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Patel", "Kim", "Okafor",
    "Rossi", "Jensen", "Schmidt", "Tanaka", "Haddad", "Novak", "Kowalski", "Dubois", "Silva", "Mensah",
]
STRANGER_LAST_NAMES = [
    "Fox", "Stone", "Rivers", "Vega", "Blake", "Frost", "Reyes", "Hart", "Knight", "Wolfe", "Cruz", "Moss",
    "Lane", "Pike", "Rowe", "Shaw", "Quinn", "Ford", "Marsh", "Wade",
]
EMAIL_DOMAINS = ["example.com", "mail.example.org", "inbox.example.net", "post.example.com"]
COUNTRIES = ["US", "US", "US", "CA", "GB", "DE", "FR", "ES", "MX", "AU"]
PRODUCTS = [
    "wireless earbuds", "smart watch", "coffee maker", "running shoes", "laptop sleeve", "air fryer",
    "phone case", "desk lamp", "backpack", "blender", "gift card", "standing desk",
]
AGENTS = ["Sam", "Priya", "Jo", "Alex", "Mika", "Tom", "Rita"]
TICKET_SUBJECTS = [
    "Order not delivered", "Refund request", "Damaged item", "Change shipping address", "Billing question",
    "Warranty claim", "Account locked", "Promo code not working", "Return label", "Product question",
]
PAGE_POSTS = [
    "Our winter sale starts today! Up to 40% off selected items ❄️",
    "New in: the Acme smart watch, now with 7-day battery life.",
    "Free shipping this weekend on all orders over $50 🚚",
    "We're hiring support agents! Join the team that answers you.",
    "Tell us: which product should we bring back next?",
    "Holiday delivery deadlines are here, order by the 18th for Christmas delivery 🎁",
]

COMPLAINTS = [
    "my order #{order} still hasn't arrived, it's been {n} days. This is ridiculous",
    "been on hold for over an hour and nobody picks up. Terrible service",
    "the {product} I bought stopped working after {n} days. I want a refund",
    "you charged me twice for the same order!! please fix this",
    "package says delivered but there's nothing here. Where is my stuff?",
    "you cancelled my order without telling me, really disappointed",
    "your app keeps crashing when I try to pay 😡",
    "my flight of a delivery was delayed again, third time this month",
    "still waiting on the refund you promised {n} days ago",
    "the {product} arrived broken and the box was soaked. Not happy",
    "I've sent three emails and got zero replies. Is anyone working there?",
    "wrong size delivered AGAIN. how hard can it be",
    "your courier left my {product} in the rain. ruined.",
    "support chat closed on me twice, I just want my money back",
]
QUESTIONS = [
    "hi, do you ship to {country}?",
    "how do I change the delivery address on order #{order}?",
    "is the {product} back in stock anytime soon?",
    "what's your return policy for sale items?",
    "can I use two promo codes on one order?",
    "does the {product} come with a warranty?",
    "when does the winter sale end?",
    "how long does a refund usually take to show up?",
    "is there a store near {city} where I can pick up my order?",
    "do you price match if it's cheaper somewhere else?",
]
PRAISE = [
    "thanks for the quick help today, {agent} was amazing!",
    "love my new {product} 😍 great quality",
    "delivery came a day early, awesome service 👏",
    "best customer service I've had in years, thank you",
    "the {product} is perfect, exactly what I wanted ❤️",
    "shoutout to {agent} for sorting my refund so fast 🙌",
]
OTHER = [
    "anyone else watching the game tonight?",
    "just saw your ad on TV lol",
    "following for the giveaway",
    "{product} 👀",
    "ok",
]
FOLLOWUPS = {
    "complaint": [
        "I already sent a DM with the order number, still nothing",
        "that doesn't help, I need this sorted today",
        "it's been another day and still no update",
        "this is the second time I'm asking. Escalate please",
    ],
    "question": [
        "ok thanks, and what about express shipping?",
        "great, do I need the original receipt?",
        "and can I do that from the app?",
    ],
    "praise": ["thanks, that worked!", "perfect, thank you so much 🙏", "sorted now, cheers!"],
    "other": ["lol ok", "👍"],
}
CITIES = ["Austin", "Toronto", "London", "Berlin", "Lyon", "Madrid", "Sydney", "Chicago"]

BRAND_REPLIES = {
    "complaint": [
        "Sorry to hear that! Please DM us your order number and we'll look into it right away.",
        "We're really sorry about this. Could you send us a DM with your email so we can check?",
        "That's not the experience we want for you. We've escalated this to our team, expect an update within 24h.",
        "Apologies for the wait. We've issued a refund, it should show in 3-5 business days.",
    ],
    "question": [
        "Hi! Yes, we do. Delivery takes 5-7 business days.",
        "Great question! You can change it under Orders > Details until the order ships.",
        "It's expected back next week. Tap 'notify me' on the product page to get an alert.",
        "Sale items can be returned within 30 days. More here: https://example.com/returns",
    ],
    "praise": [
        "Thanks so much for the kind words! We'll pass it on to the team 💙",
        "We love to hear that! Enjoy your new purchase 😊",
    ],
    "other": ["Thanks for reaching out! Let us know if there's anything we can help with."],
}


NICKNAMES = {
    "Olivia": "Liv", "Alexander": "Alex", "Benjamin": "Ben", "Samuel": "Sam", "Daniel": "Dan",
    "Joseph": "Joe", "James": "Jim", "Theodore": "Theo", "Abigail": "Abby", "Elijah": "Eli",
    "Isabella": "Bella", "Sebastian": "Seb", "Evelyn": "Evie", "Emily": "Em", "Amelia": "Millie",
    "Matthew": "Matt", "Jonas": "Jo", "Hannah": "Anna", "Lucas": "Luke", "Henry": "Hank",
}
NAME_DECORATIONS = [" 🌸", " ✨", " 🇺🇸", " | coffee addict", " 🏳️‍🌈", " (she/her)", " (he/him)", " 🎮"]


def display_name(rng: random.Random, first: str, last: str, *, facebook: bool = False) -> str:
    """How a person's name shows on a social profile: usually recognisable, rarely exact."""
    if facebook:  # Facebook profiles mostly carry the real name
        roll = rng.random()
        if roll < 0.8:
            return f"{first} {last}"
        if roll < 0.9 and first in NICKNAMES:
            return f"{NICKNAMES[first]} {last}"
        return f"{first} {last}".upper() if roll < 0.95 else f"{first} {last[0]}."
    roll = rng.random()
    if roll < 0.45:
        return f"{first} {last}"
    if roll < 0.55:
        return f"{first} {last}".lower()
    if roll < 0.63 and first in NICKNAMES:
        return f"{NICKNAMES[first]} {last}"
    if roll < 0.70:
        return f"{first} {last[0]}."
    if roll < 0.80:
        return f"{first} {last}{rng.choice(NAME_DECORATIONS)}"
    if roll < 0.84:
        return f"{rng.choice(['Dr.', 'Mr.', 'Ms.', 'Mrs.'])} {first} {last}"
    if roll < 0.90:
        return first  # first name only: not enough to link by name
    if roll < 0.95:
        return f"{first}_{last}".lower()
    return f"{first} {last}"


def _fill(rng: random.Random, template: str, order_id: int | None = None) -> str:
    number = rng.randint(100000, 999999)
    return template.format(
        order=order_id if order_id is not None else number,
        n=rng.randint(2, 21),
        product=rng.choice(PRODUCTS),
        country=rng.choice(["Canada", "Mexico", "the UK", "Germany", "Australia"]),
        agent=rng.choice(AGENTS),
        city=rng.choice(CITIES),
    )


def customer_text(rng: random.Random, intent: str, brand_handle: str | None, depth: int,
                  order_id: int | None = None) -> str:
    """What a customer writes: the opening post at depth 0, a follow-up after that."""
    if depth == 0:
        bank = {"complaint": COMPLAINTS, "question": QUESTIONS, "praise": PRAISE, "other": OTHER}[intent]
    else:
        bank = FOLLOWUPS[intent]
    text = _fill(rng, rng.choice(bank), order_id)
    if rng.random() < 0.1:
        text = text.upper() if intent == "complaint" else text.lower()
    return f"@{brand_handle} {text}" if brand_handle else text


def brand_text(rng: random.Random, intent: str, who: str, depth: int) -> str:
    """An agent's answer, signed with their initials as real support accounts do."""
    text = rng.choice(BRAND_REPLIES[intent])
    initials = "^" + rng.choice(AGENTS)[:2].upper()
    prefix = f"@{who} " if who and not who.count(" ") else (f"Hi {who.split()[0]}, " if who else "")
    return f"{prefix}{text} {initials}"


def brand_followup(rng: random.Random) -> str:
    return rng.choice(
        ["2/2 If you need anything else, we're here 24/7.", "2/2 You can also track it at https://example.com/track"]
    )
