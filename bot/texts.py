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
