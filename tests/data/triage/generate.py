#!/usr/bin/env python3
"""Writes the labelled triage set: realistic complaint, compliment, comment, follow-up,
escalation, withdrawal and machine emails with the decisions we expect, into
tests/data/triage/mail/*.eml and tests/data/triage/labels.tsv.

Each message is assembled from pieces written by hand (openings, what went wrong, what the
writer wants, sign-offs) and drawn with a fixed seed, so the set is the same on every run
and no two messages are copies. The pieces carry their labels: a complaint's categories are
the categories of the issues it was built from, and an incident piece makes it fast-track.
Run it again after changing a piece and commit both the script and its output.
"""
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
rng = random.Random(20260501)

NAMES = ["Alice Brown", "Tom Okafor", "Priya Patel", "Gareth Evans", "Mei Chen", "John Smith", "Sarah O'Neill",
         "Mohammed Ali", "Rosa Martinez", "Derek Hughes", "Fatima Begum", "Liam Walsh", "Grace Kim",
         "Peter Novak", "Hannah Clarke", "Kwame Mensah", "Joan Riley", "Oliver Grant", "Zainab Yusuf", "Ian Fraser"]
DOMAINS = ["example.net", "mail.example.com", "example.co.uk", "home.example", "inbox.example.org"]

# (text, category) — what went wrong, in the customer's words.
ISSUES = [
    ("my bin was not collected on Tuesday for the third week running", "service_delivery"),
    ("the recycling has been missed again and the bags are now overflowing onto the pavement", "service_delivery"),
    ("I reported a leak in my kitchen ceiling six weeks ago and it still has not been repaired", "service_delivery"),
    ("the engineer never turned up for the appointment I took a day off work for", "service_delivery"),
    ("there is damp and black mould in the children's bedroom and nothing has been done", "service_delivery"),
    ("the streetlight outside my house has been broken since October", "service_delivery"),
    ("my housing benefit payment was paid late two months in a row", "service_delivery"),
    ("I was overcharged on my council tax bill and I am still waiting for the refund", "service_delivery"),
    ("my training course was cancelled the day before it was due to start", "service_delivery"),
    ("the repair to our fence was left half done and the workmen left rubbish everywhere", "service_delivery"),
    ("my assessor missed three sessions in a row without telling me", "service_delivery"),
    ("the parcel of forms you promised to post never arrived", "service_delivery"),
    ("your decision to refuse my blue badge application is unfair", "policy_decision"),
    ("I do not agree with the decision to close the library on Saturdays", "policy_decision"),
    ("the new policy of charging for garden waste collection is unfair on pensioners", "policy_decision"),
    ("I was given a penalty charge notice even though my permit was on display", "policy_decision"),
    ("the eligibility criteria for the grant seem to exclude anyone who works part time", "policy_decision"),
    ("you rejected my planning application without looking at the revised drawings", "policy_decision"),
    ("your procedure for booking the tip is so complicated that nobody can use it", "policy_decision"),
    ("the sanction applied to my claim was decided without anyone speaking to me", "policy_decision"),
    ("I have emailed four times and nobody has replied", "refusal_misleading"),
    ("I was promised a call back within 48 hours and nobody got back to me", "refusal_misleading"),
    ("your adviser gave me wrong advice about my tenancy and it has cost me money", "refusal_misleading"),
    ("the website says one thing and the person on the phone told me something different", "refusal_misleading"),
    ("my letters have simply been ignored", "refusal_misleading"),
    ("the officer refused to explain why my application was put on hold", "refusal_misleading"),
    ("I was misled about the cost of the course before I signed up", "refusal_misleading"),
    ("I have been passed from pillar to post between three departments", "refusal_misleading"),
    ("the woman on the front desk was rude and dismissive when I asked for help", "impoliteness"),
    ("the driver shouted at me in the street in front of my neighbours", "impoliteness"),
    ("the call handler was condescending and hung up on me", "impoliteness"),
    ("I felt I was treated differently because of my accent, which is discrimination", "impoliteness"),
    ("your receptionist was sarcastic and made me feel stupid", "impoliteness"),
    ("the tutor was unprofessional and belittled me in front of the whole group", "impoliteness"),
    ("you sent a letter with my personal details to my old address where my ex-partner lives", "personal_information"),
    ("someone else's letter was enclosed with mine, including their bank details", "personal_information"),
    ("my medical information was discussed at the counter where everyone could hear", "personal_information"),
    ("you shared my phone number with a contractor without my consent", "personal_information"),
    ("an email about my case was copied in to a dozen other residents", "personal_information"),
]

INCIDENTS = [
    "While I was waiting at the office another client assaulted me and I needed medical attention.",
    "A man pulled out a knife in the waiting area and staff did nothing for ten minutes.",
    "Someone smashed the windows of the community centre last night and the door has been kicked in.",
    "My son was attacked by one of your tenants on the landing and was taken to hospital.",
    "During the appointment a customer punched the security guard and I was hit as well.",
    "A group of activists occupied the reception and one of them threatened me with a metal bar, a weapon as far as I am concerned.",
    "The man in the next booth threatened me with a knife when I asked him to keep his voice down.",
    "Someone set fire to the bins behind your office and it spread to our garden fence.",
    "I was assaulted in your car park by someone who had just left your office.",
    "One of the other learners attacked me in the corridor and I had to go to A&E.",
    "There was a serious assault outside the jobcentre and your staff locked the doors with us outside.",
    "Vandals have caused serious damage to the flats and the stairwell is unsafe.",
    "He had a gun tucked in his belt and your guard just let him walk in.",
    "My car was vandalised in your car park and the windscreen smashed while I was inside.",
    "A visitor head-butted my husband at the counter and there was blood everywhere.",
    "Your tenant next door stabbed my dog with a kitchen knife over the fence.",
]

NEAR_MISSES = [  # each reads like a complaint with no incident in it
    "I was not assaulted, just kept waiting for two hours.",
    "Nobody attacked me, but the whole visit was a shambles.",
    "Your letter is frankly an assault on common sense.",
    "Parking in town costs a bomb these days.",
    "I'm not saying anyone was violent, but the queue was chaos.",
    "The officer jumped the gun and closed my claim too early.",
]

OPENINGS = ["I am writing to complain because", "I want to make a formal complaint:", "I'm really unhappy that",
            "This is a complaint.", "I have had enough:", "Sorry to have to write this, but", "Please log this as a complaint.",
            "I wish to complain that", "Once again", "I am disappointed that", "Can someone explain why",
            "I'm fed up because", "I'd like to raise a complaint.", "Frankly it is unacceptable that"]
WANTS = ["I would like an apology and for this to be put right.", "Please can someone call me to sort this out.",
         "I expect a full explanation.", "I want this fixed this week.", "I would like a refund.",
         "Please tell me what you are going to do about it.", "I hope you will look into this properly.",
         "I expect better.", "Please make sure this doesn't happen to anyone else.", ""]
SIGNOFFS = ["Regards,", "Thanks,", "Yours sincerely,", "Kind regards,", "Many thanks,", "Best wishes,", "Cheers,", ""]
SUBJECTS = ["Complaint", "Formal complaint", "Very unhappy", "Problem with your service", "Complaint about {topic}",
            "{topic}", "{topic} - complaint", "Not good enough", "Ongoing problem", "Please help"]
TOPICS = ["bins", "repairs", "my account", "my claim", "the course", "parking", "council tax", "the office",
          "my appointment", "housing", "the library", "my tenancy"]

COMPLIMENTS = [
    "I just wanted to say thank you to {staff} who helped me fill in the forms last week. {pronoun} was patient and kind.",
    "Please pass on my thanks to {staff}. The service I received was excellent from start to finish.",
    "A quick note to compliment the crew who cleared the fallen tree on our road. Brilliant work, done in an hour.",
    "{staff} went above and beyond to sort out my housing benefit. I am very grateful.",
    "I'd like to praise the team at the library for the children's reading club. It is wonderful.",
    "Thank you for fixing the streetlight so quickly. Really impressed.",
    "My mother was treated with great kindness by {staff} on Monday. Please let {object} know it was appreciated.",
    "Just to say well done to everyone at the customer service desk. Fantastic job during a busy week.",
    "I want to compliment {staff} on how well {pronoun_l} handled my enquiry. Very helpful and friendly.",
    "Many thanks to the tutor on my course, who has been superb. I passed my exam thanks to {object}.",
    "The new online booking system is great, thank you. It saved me a lot of time.",
    "Thank you so much to the gardeners at the park, it looks lovely this spring.",
]
STAFF = [("Janet on reception", "She", "she", "her"), ("Mark Davies", "He", "he", "him"), ("your adviser Sam", "They", "they", "them"),
         ("Mr Okoro", "He", "he", "him"), ("the lady at the one stop shop", "She", "she", "her"), ("Priya in the benefits team", "She", "she", "her")]
COMMENTS = [
    "Would it be possible to put a bench near the bus stop on {street}? Lots of older people wait there.",
    "Just a suggestion: could the recycling centre open an hour later on Thursdays?",
    "It would be good if the website let you upload photos when reporting a pothole.",
    "Have you thought about adding a dog bin at the entrance to {street} park?",
    "I'd like to suggest that letters also give a phone number for people without email.",
    "For your information, the sign at the car park entrance has been turned the wrong way round.",
    "Could you consider running the evening course on a Wednesday instead? My idea is it would suit more people.",
    "Some feedback on the new forms: the date field would be easier with a calendar.",
    "It would help if the library had more large print books.",
    "Just wanted to let you know the drinking fountain in the park has been switched back on. A suggestion: a sign saying so.",
]
STREETS = ["Elm Road", "Station Street", "Park Lane", "Church Hill", "Mill Way", "Grove Avenue", "Kings Road"]

FOLLOWUPS = ["Is there any update on my complaint?", "I have attached the photos you asked for.",
             "Just checking you received my complaint last week.", "My phone number is 07700 900123 if that helps.",
             "Please note my new address for any letters.", "Could you tell me who is dealing with this now?",
             "Here is the invoice number you asked for: 55123.", "I'm away next week, so please email rather than call.",
             "When can I expect to hear back?", "I forgot to mention that the problem started in March."]
NEXT_STAGE = ["I am not satisfied with your response and would like my complaint to go to stage 2.",
              "Thank you for the reply, but it doesn't address what I raised. I want to escalate this.",
              "I'm not happy with the outcome and wish to appeal.", "Please treat this as a request for a second review.",
              "Your response did not address my main point. I would like someone more senior to review my complaint.",
              "I am dissatisfied with the response and want to take this further.",
              "I reject your response. Please escalate my complaint to the next stage.",
              "This does not resolve anything. I would like an independent review.",
              "I'm afraid I can't accept your response; please pass this to stage two.",
              "I would like to appeal against the outcome of my complaint."]
WITHDRAW = ["The problem has now been sorted, so I would like to withdraw my complaint.",
            "Please close my complaint, the repair was done yesterday.", "I no longer wish to pursue this complaint.",
            "You can drop my complaint now, it has been resolved.", "I've decided to withdraw my complaint. Thanks for your help.",
            "Please disregard my complaint, it was a misunderstanding on my part.",
            "Happy to say the issue is resolved, please close the case.",
            "I want to withdraw the complaint I made last month.", "No need to investigate any further, I'd like to cancel my complaint."]


def addr(name):
    local = name.lower().replace("'", "").replace(" ", ".")
    return f"{local}@{rng.choice(DOMAINS)}"


def message(n, subject, body, name=None, extra_headers=(), in_reply_to=None):
    name = name or rng.choice(NAMES)
    headers = [f"From: {name} <{addr(name)}>", "To: complaints@example.org", f"Subject: {subject}",
               f"Date: Mon, {1 + n % 27} Jun 2026 {8 + n % 10:02d}:{n % 60:02d}:00 +0100",
               f"Message-ID: <t{n:04d}@sender.example>", "MIME-Version: 1.0",
               "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    if in_reply_to:
        headers.append(f"In-Reply-To: <{in_reply_to}>")
    headers.extend(extra_headers)
    return "\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n"


def signed(body, name):
    so = rng.choice(SIGNOFFS)
    return body + ("\n\n" + so + "\n" + name.split()[0] if so else "\n\n" + name)


def ref():
    return f"CMP-2026-{rng.randint(1, 999):06d}"


rows = []
out = HERE / "mail"
out.mkdir(exist_ok=True)
for old in out.glob("*.eml"):
    old.unlink()
n = 0


def emit(kind, subject, body, intent, categories=(), fast_track=False, **kw):
    global n
    n += 1
    name = f"{n:03d}-{kind}.eml"
    (out / name).write_bytes(message(n, subject, body, **kw).encode("utf-8"))
    rows.append((name, intent, ",".join(sorted(set(categories))) or "-", "yes" if fast_track else "no"))


# New complaints: one to three issues, sometimes an incident or a near miss.
for i in range(140):
    k = rng.choices([1, 2, 3], [6, 3, 1])[0]
    issues = rng.sample(ISSUES, k)
    name = rng.choice(NAMES)
    parts = [rng.choice(OPENINGS) + " " + issues[0][0] + "."]
    for text, _ in issues[1:]:
        parts.append(rng.choice(["On top of that,", "Also,", "And", "What's more,", "Not only that but"]) + " " + text + ".")
    incident = i % 9 == 4
    if incident:
        parts.insert(rng.randint(0, len(parts)), rng.choice(INCIDENTS))
    elif i % 11 == 3:
        parts.append(rng.choice(NEAR_MISSES))
    parts.append(rng.choice(WANTS))
    subject = rng.choice(SUBJECTS).format(topic=rng.choice(TOPICS).capitalize())
    emit("complaint", subject, signed(" ".join(p for p in parts if p), name), "new-complaint",
         [c for _, c in issues], incident, name=name)

# Incident reports on their own, written the way people report them.
for i, text in enumerate(INCIDENTS):
    name = rng.choice(NAMES)
    emit("incident", rng.choice(["Incident at your office", "Urgent", "Serious incident", "Something terrible happened"]),
         signed(text + " " + rng.choice(["I want to know what you will do.", "Please call me.", "This must be looked into."]), name),
         "new-complaint", [], True, name=name)

for i in range(40):
    staff, pron, pron_l, obj = rng.choice(STAFF)
    name = rng.choice(NAMES)
    body = rng.choice(COMPLIMENTS).format(staff=staff, pronoun=pron, pronoun_l=pron_l, object=obj)
    emit("compliment", rng.choice(["Thank you", "A compliment", "Thanks!", "Great service", "Well done", "Feedback"]),
         signed(body, name), "compliment", name=name)

for i in range(32):
    name = rng.choice(NAMES)
    body = rng.choice(COMMENTS).format(street=rng.choice(STREETS))
    emit("comment", rng.choice(["Suggestion", "An idea", "Comment", "Feedback on the service", "Small suggestion"]),
         signed(body, name), "comment", name=name)

for i in range(30):
    name = rng.choice(NAMES)
    r = ref()
    emit("follow-up", f"Re: [{r}] " + rng.choice(["Complaint", "My bins", "Repairs", "Your letter"]),
         signed(rng.choice(FOLLOWUPS), name), "follow-up", name=name)

for i in range(30):
    name = rng.choice(NAMES)
    r = ref()
    subject = f"Re: [{r}] " + rng.choice(["Response to your complaint", "Your complaint", "Outcome"])
    if i % 5 == 0:  # the reference only in the body
        subject = rng.choice(["Not happy with the response", "Complaint response", "Re: your letter"])
        body = f"My reference is {r}. " + rng.choice(NEXT_STAGE)
    else:
        body = rng.choice(NEXT_STAGE)
    emit("next-stage", subject, signed(body, name), "next-stage", name=name)

for i in range(26):
    name = rng.choice(NAMES)
    r = ref()
    emit("withdrawal", f"Re: [{r}] " + rng.choice(["Complaint", "Please close", "Update", "Withdrawing"]),
         signed(rng.choice(WITHDRAW), name), "withdrawal", name=name)

MACHINE = [
    ("Automatic reply: Complaint", ["Auto-Submitted: auto-replied"],
     "I am out of the office until Monday with no access to email. If your matter is urgent, please contact reception."),
    ("Out of Office", ["X-Autoreply: yes"], "Thank you for your email. I am on annual leave and will reply on my return."),
    ("Undelivered Mail Returned to Sender", ["Auto-Submitted: auto-replied"],
     "This is the mail system at host mx.example.net. I'm sorry to have to inform you that your message could not be delivered."),
    ("Council newsletter - June", ["Precedence: bulk", "List-Id: <news.example.org>"],
     "This month: new recycling rules, the summer reading challenge, and a thank you to our volunteers."),
    ("Re: Complaint", ["X-Auto-Response-Suppress: All", "Auto-Submitted: auto-generated"],
     "Your message has been received by our ticketing system. Ticket 44812. Do not reply to this message."),
    ("Automatic reply: I was assaulted", ["Auto-Submitted: auto-replied"],
     "I am away. Your message about an assault has been forwarded to my colleague. Thank you."),
]
for i in range(32):
    subject, headers, body = MACHINE[i % len(MACHINE)]
    emit("machine", subject, body + ("" if i < 6 else f"\n\nRef {rng.randint(1000, 9999)}"), "machine-mail",
         extra_headers=headers)

with open(HERE / "labels.tsv", "w") as f:
    f.write("# file\tintent\tcategories\tfast_track  (written by generate.py)\n")
    for r in rows:
        f.write("\t".join(r) + "\n")
print(f"{len(rows)} messages")
