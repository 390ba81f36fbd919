"""Every sentence the bot says to a patient or an admin (later: translation catalogs).

Medical statements here must trace to ../shared/CLINICAL.md. Keep each message short enough to
read on a phone without scrolling; no tables.
"""

from __future__ import annotations

NOT_MEDICAL_ADVICE = "This bot does not give medical advice."

WELCOME = (
    "Hello! I remind you when your Kesimpta dose is due, at your own local time: "
    "the day before, when to take the pen out of the fridge, and on the day itself.\n\n"
    "I follow the schedule on the label: Weeks 0, 1 and 2, no dose at Week 3, "
    "then monthly from Week 4.\n\n" + NOT_MEDICAL_ADVICE
)

HELP = (
    "I send Kesimpta dose reminders at your local time.\n\n"
    "/start – set up or see your next dose\n"
    "/help – this message\n\n"
    "For questions about your treatment, ask your MS team. " + NOT_MEDICAL_ADVICE
)

PRIVATE_CHAT_ONLY = (
    "I only work in a private chat, so that health information never ends up in a group. "
    "Open a chat with me directly to use me."
)

SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on my side. Nothing you sent was lost; please try again "
    "in a moment."
)

UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."


# --- injection sites -------------------------------------------------------------------------

SITE_NAMES = {
    "left_thigh": "left thigh",
    "right_thigh": "right thigh",
    "left_abdomen": "left lower abdomen",
    "right_abdomen": "right lower abdomen",
    "left_upper_arm": "left outer upper arm",
    "right_upper_arm": "right outer upper arm",
}

# CLINICAL.md, "Injecting": never into moles, scars, stretch marks, or skin that is tender,
# bruised, red, scaly or hard; abdomen at least 5 cm (2 inches) from the navel.
SKIN_TO_AVOID = (
    "Avoid moles, scars, stretch marks and skin that is tender, bruised, red, scaly or hard, "
    "and keep 5 cm (2 inches) away from the navel."
)

# CLINICAL.md: infections - tell the MS team; a dose is delayed during an active infection.
UNWELL_CHECK = "Feeling unwell or have an infection? Check with your MS team before injecting."

# --- reminders -------------------------------------------------------------------------------

HEADS_UP = "Tomorrow ({day}) at {time}: dose {number} of Kesimpta. Is a pen in your fridge?"

# CLINICAL.md: out of the fridge 15-30 minutes before, to reach room temperature; do not shake.
PREP = (
    "Dose {number} in 30 minutes. Take the pen out of the fridge now: it needs 15–30 minutes "
    "to reach room temperature. Don't shake it."
)

DOSE_DUE = (
    "Time for dose {number} of Kesimpta.\n\n"
    "Suggested site: {site}.\n" + SKIN_TO_AVOID + "\n"
    "Don't use the pen if the liquid is cloudy or has particles.\n\n"
    + UNWELL_CHECK
    + "\n"
    + NOT_MEDICAL_ADVICE
)

FOLLOW_UP_TODAY = (
    "Reminder: dose {number} is due today. Tap a button below once you have injected.\n"
    "Suggested site: {site}."
)

# CLINICAL.md, "Missed dose": inject as soon as possible, do not wait for the next dose; later
# doses count from the day the late dose was injected.
FOLLOW_UP_OVERDUE = (
    "Dose {number} was due on {due} ({days_text}). The label says to take a missed dose as "
    "soon as possible and not to wait for the next one; later doses then count from the day "
    "you inject.\nSuggested site: {site}.\n\n" + UNWELL_CHECK + "\n" + NOT_MEDICAL_ADVICE
)

CHECK_IN = "How are you feeling after {when} injection (dose {number}{site_part})?"
CHECK_IN_NUDGE = "A quick check: how are you feeling after dose {number}?"
REACTION_FOLLOW_UP = "Are the symptoms you told me about after dose {number} gone?"

BROADCAST_HEADER = "Message from the team running this bot:\n\n"

# --- buttons ---------------------------------------------------------------------------------

BUTTON_INJECTED_AT = "Injected in {site}"
BUTTON_INJECTED = "Injected"
BUTTON_INJECTED_ELSEWHERE = "Injected elsewhere"
BUTTON_SNOOZE = "Snooze"
BUTTON_NOT_TODAY = "Not today"
BUTTON_ALL_GOOD = "All good"
BUTTON_SKIN = "Skin where I injected"
BUTTON_FLU_LIKE = "Flu-like symptoms"
BUTTON_ALLERGIC = "Allergic warning signs"
BUTTON_SYMPTOMS_GONE = "Gone"
BUTTON_SYMPTOMS_STILL_THERE = "Still there"


def days_ago(days: int) -> str:
    return "yesterday" if days == 1 else f"{days} days ago"
