"""Every sentence the bot says to a patient or an admin (later: translation catalogs).

Medical statements here must trace to ../shared/CLINICAL.md. Keep each message short enough to
read on a phone without scrolling; no tables.
"""

from __future__ import annotations

from datetime import date

NOT_MEDICAL_ADVICE = "This bot does not give medical advice."

WELCOME = (
    "Hello! I remind you when your Kesimpta dose is due, at your own local time: the day "
    "before, when to take the pen out of the fridge, and on the day itself. After each dose "
    "I ask how you feel.\n\n"
    "I follow the schedule on the label: Weeks 0, 1 and 2, no dose at Week 3, then monthly "
    "from Week 4.\n\n"
    "I store your Telegram id, your settings, the dates and sites of your injections and "
    "your answers to my check-ins. /delete erases all of it at any time.\n\n" + NOT_MEDICAL_ADVICE
)
BUTTON_AGREE = "I agree, let's start"

# Shown under a question once it is answered; the question's buttons go away.
ANSWER_CHOSEN = "{question}\n\n✓ {answer}"

ASK_FIRST_INJECTION = "Have you had your first Kesimpta injection yet?"
BUTTON_NOT_YET = "Not yet"
BUTTON_ALREADY_ON = "Yes, I'm on Kesimpta"

# CLINICAL.md: the first injection is given under the guidance of a healthcare professional.
ASK_FIRST_DOSE_DATE = (
    "When is your first injection planned (Week 0)? It is given with a healthcare "
    "professional.\n\nTap a day or type a date, for example 2026-01-05, 5 Jan or 05.01.2026."
)
ASK_LAST_DOSE_DATE = (
    "When was your last injection? Tap a day or type a date, for example 2026-01-05, "
    "5 Jan or 05.01.2026."
)
BUTTON_TODAY = "Today"
BUTTON_TOMORROW = "Tomorrow"
BUTTON_YESTERDAY = "Yesterday"
BUTTON_IN_DAYS = "In {days} days"
BUTTON_IN_A_WEEK = "In a week"
ASK_LAST_DOSE_NUMBER = "Which dose was that?"
BUTTONS_DOSE_NUMBER = ("1st", "2nd", "3rd", "4th or later")
ASK_LATER_DOSE_NUMBER = (
    "Which number was it? Type it, for example 9. Not sure? Tap the button and I will count from 4."
)
BUTTON_NOT_SURE = "Not sure"
ASK_REMINDER_TIME = (
    "At what time should I remind you on injection days? Tap one or type a time, for "
    "example 9, 7:30, 7.30pm or 19:30."
)
ASK_TIME_ZONE = (
    "Which time zone are you in? Tap the button to share your location once (it is only "
    "used to find your time zone), or type your city, for example London or New York."
)
BUTTON_SHARE_LOCATION = "📍 Share my location"
LOCATION_USED = "Thanks. I used your location only to find your time zone; I don't keep it."
ZONE_LOCAL_TIME = "{zone}: your time now is {local_time} on {local_day}."
IS_THAT_RIGHT = "Is that right?"
CONFIRM_TIME_ZONE = ZONE_LOCAL_TIME + " " + IS_THAT_RIGHT
ZONES_FOUND = "A few time zones match that."
CHOOSE_TIME_ZONE = "Which one is yours?"
ZONE_CHOICE = "{zone} (now {local_time})"
BUTTON_NONE_OF_THESE = "None of these"
BUTTON_YES = "Yes"
BUTTON_NO = "No, change it"
# CLINICAL.md: the outer upper arm only when a caregiver or healthcare professional injects.
ASK_WHO_INJECTS = (
    "Who gives the injection? When a caregiver or nurse does, the outer upper arm can be used too."
)
BUTTON_I_DO = "I do"
BUTTON_CAREGIVER = "A caregiver or nurse"

SUMMARY_NEW = (
    "Here is your plan:\n{doses}\n\nReminders at {time} ({zone}). First site: {site}.\n\n"
    "Is this right?"
)
SUMMARY_ONGOING = (
    "Your last dose: dose {last_number} on {last_day}.\nNext doses:\n{doses}\n\n"
    "Reminders at {time} ({zone}). Next site: {site}.\n\nIs this right?"
)
SUMMARY_DOSE_LINE = "• Dose {number}: {day}"
# CLINICAL.md, "Missed dose": later doses count from the day the late dose is injected.
SUMMARY_OVERDUE_LINE = (
    "• Dose {number}: was due {day} ({days_text}). Later doses count from the day you inject it."
)
BUTTON_CONFIRM = "Yes, start reminders"
BUTTON_CHANGE_DATE = "Change the date"
BUTTON_CHANGE_TIME = "Change the time"
BUTTON_CHANGE_ZONE = "Change the time zone"
BUTTON_CHANGE_WHO = "Change who injects"
MAIN_COMMANDS = (
    "/next shows your next dose, /settings changes your choices, /help lists everything."
)
ALL_SET = "You're all set. I'll remind you before each dose.\n\n" + MAIN_COMMANDS
ALREADY_SET_UP = "Your next dose: dose {number} on {day} at {time} ({days_text}).\nSite: {site}."
# CLINICAL.md, "Missed dose": inject as soon as possible, do not wait for the next dose.
NEXT_DOSE_OVERDUE = (
    "Dose {number} was due on {day} ({days_text}). The label says to take a missed dose as "
    "soon as possible.\nSite: {site}.\n" + NOT_MEDICAL_ADVICE
)
NO_NEXT_DOSE = "I don't have a date for your next dose."
WELCOME_BACK = "Welcome back! Your reminders are on again."
STEP_AGAIN = "Let's continue where we left off."
TAP_A_BUTTON = "Please tap one of the buttons."
LOCATION_NOT_NEEDED = "Thanks, but I only need a location to find your time zone."

DATE_NOT_UNDERSTOOD = "Sorry, I didn't understand that date. Try 2026-01-05, 5 Jan or 05.01.2026."
DATE_IMPOSSIBLE = "That date doesn't exist. Try again, for example 2026-01-05."
DATE_AMBIGUOUS = "Did you mean {first} or {second}?"
DATE_IN_FUTURE = "That date is in the future. When was your last injection?"
DATE_TOO_FAR_BACK = "That is more than {days} days ago. Please check the date."
DATE_TOO_FAR_AHEAD = "That is more than a year away. Please check the date."
TIME_NOT_UNDERSTOOD = "Sorry, I didn't understand that time. Try 9, 7:30, 7.30pm or 19:30."
ZONE_NOT_FOUND = (
    "I couldn't find that place. Type a bigger city nearby, or a time zone such as Europe/London."
)
LOCATION_ZONE_NOT_FOUND = (
    "I couldn't find a time zone for that location. Type your city instead, for example London."
)
NUMBER_NOT_UNDERSTOOD = "Please type a number from 4 to 200, for example 9."
BUTTON_NO_LONGER_VALID = "This button is no longer valid."
TEXT_OUTSIDE_A_STEP = "I'm not waiting for an answer right now. Send /help to see what I can do."
NOT_SET_UP = "Send /start to set up your reminders."

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


def days_to_go(days: int) -> str:
    if days == 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_label(day: date, *, today: date) -> str:
    """'Fri 2 Jan', with the year when it is not this year's: 'Mon 4 Jan 2027'."""
    label = f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
    return label if day.year == today.year else f"{label} {day.year}"
