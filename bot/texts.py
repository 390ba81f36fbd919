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


# --- dose actions: buttons under a dose reminder, /log, /next, /history ----------------------

BUTTON_SNOOZE_15_MIN = "15 min"
BUTTON_SNOOZE_1_HOUR = "1 hour"
BUTTON_SNOOZE_3_HOURS = "3 hours"
BUTTON_SNOOZE_EVENING = "This evening"
BUTTON_BACK = "« Back"
BUTTON_CANCEL = "Cancel"
BUTTON_DONT_REMEMBER = "I don't remember"
BUTTON_DAYS_AGO = "{days} days ago"
BUTTON_RECORD_IT = "Yes, record it"
BUTTON_DONT_RECORD = "No"
ASK_SNOOZE_FOR = "Remind you again in…"
ASK_WHERE_INJECTED = "Where did you inject?"

# Shown under the reminder once a button decided it; its buttons go away.
DONE_INJECTED = "Dose {number} recorded: {site}, {day} at {time}."
DONE_INJECTED_NO_SITE = "Dose {number} recorded: {day} at {time}."
DONE_SNOOZED = "Snoozed: I'll remind you again at {when}."
DONE_NOT_TODAY = "Not today: I'll remind you again tomorrow, {when}."
ALREADY_RECORDED = "Already recorded."
DOSE_ALREADY_RECORDED = "Dose {number} is already recorded; nothing changed."

# What comes after a recorded dose: under the reminder, after DONE_INJECTED (a press), or in a
# message of its own after RECORDED (/log, or a reminder that could not be edited).
NEXT_DOSE_AFTER = "Next dose: {day} {time} · next site: {site}."
# CLINICAL.md, "Missed dose": later doses follow at the recommended intervals, counted from the
# day the dose was actually injected.
PLAN_MOVED = (
    "Dose {number} was planned for {planned}; you injected it {offset}, so the doses after it "
    "now count from {injected}.\n" + NEXT_DOSE_AFTER + "\nThen: {later}."
)
RECORDED = "Recorded. {what_next}"


def days_offset(days: int) -> str:
    """'3 days late', '1 day early'; `days` is injected minus planned."""
    count = abs(days)
    unit = "day" if count == 1 else "days"
    return f"{count} {unit} {'late' if days > 0 else 'early'}"


# /history
HISTORY_HEADER = "Your recent doses:"
HISTORY_LINE = "• Dose {number}: {day} · {timing} · {site}"
HISTORY_ON_TIME = "on time"
HISTORY_NO_PLAN = "noted at set-up"
HISTORY_NO_SITE = "site not noted"
HISTORY_OLDER = "Showing the last {shown} of {total} doses."
HISTORY_EMPTY = (
    "No doses recorded yet. After an injection, tap the button under my reminder, or send /log."
)

# /log
ASK_LOG_DATE = (
    "Let's record an injection you gave without my reminder (dose {number}). When was it? "
    "Tap a day or type a date, for example 5 Jan or 05.01.2026."
)
LOG_DATE_IN_FUTURE = "That date is in the future. When did you inject?"
LOG_DATE_BEFORE_PREVIOUS = (
    "Your last recorded dose (dose {number}) was on {day}. I can only record an injection "
    "after that one. When did you inject?"
)
LOG_GAP_QUESTION = "Your last dose (dose {number}) was on {day}, {gap}. Record another one?"
LOG_GAP_SAME_DAY = "the same day"
LOG_GAP_BEFORE = "{days_text} before this one"
ASK_LOG_TIME = "At what time, roughly? Tap one or type a time, for example 9, 7:30 or 19:30."
LOG_TIME_IN_FUTURE = "That time hasn't come yet today. At what time did you inject?"
ASK_LOG_SITE = "Where did you inject?"
LOG_CANCELLED = "OK, nothing recorded."
LOG_OUT_OF_ORDER = (
    "I couldn't record that: it is in the future or before your last recorded dose. "
    "Send /log to try again."
)


# --- /settings ---------------------------------------------------------------------------------

# CLINICAL.md, "Maintenance": same date each month, or every 28 days as in the trials; 12 vs 13
# doses a year; both exist in practice.
SETTINGS_MODE_EXPLAINED = (
    "Monthly: the same date each month (12 doses a year). Every 4 weeks: every 28 days, as in "
    "the trials (13 doses a year)."
)
SETTINGS_MENU = (
    "Your settings:\n"
    "• Reminder time: {time}\n"
    "• Time zone: {zone}\n"
    "• After Week 4: {mode}\n"
    "• Quiet hours: {quiet}\n"
    "• Heads-up the day before: {heads_up}\n"
    "• Pen-out-of-the-fridge reminder: {prep}\n"
    "• Who injects: {who}\n"
    "• Injection zones: {zones}\n\n" + SETTINGS_MODE_EXPLAINED + "\n"
    "After each dose I ask how you feel; after the first dose I ask a little earlier.\n\n"
    "Tap what you want to change."
)
SETTINGS_ON = "on"
SETTINGS_OFF = "off"
SETTINGS_MODE_MONTHLY = "monthly"
SETTINGS_MODE_EVERY_4_WEEKS = "every 4 weeks"
SETTINGS_QUIET_RANGE = "{start}–{end}"
SETTINGS_NO_QUIET_HOURS = "none"
SETTINGS_WHO_ME = "you"
SETTINGS_WHO_CAREGIVER = "a caregiver or nurse"
SETTINGS_ZONES_ALL = "all {count}"
SETTINGS_ZONES_SOME = "{on} of {count}"

BUTTON_SETTINGS_TIME = "Reminder time"
BUTTON_SETTINGS_ZONE = "Time zone"
BUTTON_SETTINGS_MODE = "Monthly or every 4 weeks"
BUTTON_SETTINGS_QUIET = "Quiet hours"
BUTTON_SETTINGS_HEADS_UP_OFF = "Heads-up: turn off"
BUTTON_SETTINGS_HEADS_UP_ON = "Heads-up: turn on"
BUTTON_SETTINGS_PREP_OFF = "Fridge reminder: turn off"
BUTTON_SETTINGS_PREP_ON = "Fridge reminder: turn on"
BUTTON_SETTINGS_WHO = "Who injects"
BUTTON_SETTINGS_SITES = "Injection zones"
BUTTON_SETTINGS_CLOSE = "Close"
BUTTON_SETTINGS_BACK = "« Back"
BUTTON_SETTINGS_DONE = "Done"
BUTTON_SETTINGS_MONTHLY = "Monthly"
BUTTON_SETTINGS_EVERY_4_WEEKS = "Every 4 weeks"
BUTTON_SETTINGS_NO_QUIET_HOURS = "No quiet hours"
BUTTON_SETTINGS_KEEP_ZONE = "Keep my time zone"
SETTINGS_CURRENT = "✓ {label}"
SETTINGS_SITE_ON = "✓ {site}"
SETTINGS_SITE_OFF = "✗ {site} (left out)"

# Titles shown with the answer once a setting is changed ("Reminder time\n\n✓ 07:30").
SETTINGS_TIME_TITLE = "Reminder time"
SETTINGS_MODE_TITLE = "Dose spacing after Week 4"
SETTINGS_QUIET_TITLE = "Quiet hours"
SETTINGS_HEADS_UP_TITLE = "Heads-up the day before"
SETTINGS_PREP_TITLE = "Pen-out-of-the-fridge reminder"
SETTINGS_WHO_TITLE = "Who injects"
SETTINGS_SITES_TITLE = "Injection zones"

SETTINGS_ASK_TIME = (
    "Your reminders come at {time}. Tap a new time or type one, for example 9, 7:30, "
    "7.30pm or 19:30."
)
SETTINGS_ASK_MODE = (
    "How are your doses spaced after Week 4? Now: {mode}.\n\n" + SETTINGS_MODE_EXPLAINED + " "
    "Both are used in practice; your MS team can tell you which one your clinic follows."
)
SETTINGS_ASK_QUIET = (
    "Quiet hours: now {quiet}.\n\nIn quiet hours I send no check-ins and no follow-ups I time "
    "myself. Reminders at the time you chose still come."
)
# CLINICAL.md: the outer upper arm only when a caregiver or healthcare professional injects.
SETTINGS_ASK_WHO = ASK_WHO_INJECTS + " Now: {who}."
SETTINGS_ASK_SITES = (
    "The zones I suggest, taking turns. Tap a zone to leave it out or bring it back; at least "
    "one stays on."
)
SETTINGS_SITES_NO_ARMS = "The outer upper arms are only for a caregiver or nurse (Who injects)."
SETTINGS_SITES_KEEP_ONE = "At least one zone must stay on."
SETTINGS_SITES_KEEP_ONE_FOR_ME = (
    "Turn a thigh or abdomen zone back on first: at least one zone must stay on."
)
SETTINGS_ZONE_NOW = "Your time zone now: {zone} ({local_time} on {local_day})."
SETTINGS_ZONE_KEPT = "Nothing changed: your time zone stays {zone}."
SETTINGS_SAVED = "Saved.\n\n{next_dose}\n\nSend /settings to change something else."
SETTINGS_PAUSED_NOTE = "Your reminders are paused; /resume turns them back on."
SETTINGS_TAP_A_BUTTON = (
    "Tap a button under the settings message, or send /settings to open them again."
)
FINISH_SET_UP_FIRST = "Let's finish setting up first: send /start to continue where you left off."


# --- /pause, /resume, /delete, /about, /help -------------------------------------------------

PAUSE_CONFIRM = (
    "Pause all reminders? I won't send anything, not even on dose days, until you send "
    "/resume. Your settings and recorded doses are kept.\n\n"
    "This only pauses my messages; questions about your treatment go to your MS team."
)
BUTTON_PAUSE_CONFIRM = "Pause reminders"
BUTTON_PAUSE_CANCEL = "Keep reminders on"
PAUSED = "Reminders paused. Send /resume when you want them back."
ALREADY_PAUSED = "Your reminders are already paused. Send /resume to turn them back on."
PAUSE_CANCELLED = "Nothing changed: your reminders stay on."

RESUME_ASK = (
    "In your plan, dose {number} is due on {day}.\n\n"
    "Did you inject it while reminders were paused? Tap the day or type the date, for example "
    "2026-01-05 or 5 Jan. If not, keep the plan."
)
BUTTON_KEEP_PLAN = "Keep the plan"
BUTTON_RESUME_TODAY = "I injected it today"
BUTTON_RESUME_YESTERDAY = "I injected it yesterday"
RESUMED = "Reminders are on again.\n\n{next_dose}"
RESUMED_WITH_DOSE = "Recorded: dose {number} on {day}. Reminders are on again.\n\n{next_dose}"
NOT_PAUSED = "Your reminders are on.\n\n{next_dose}"
RESUME_ALREADY_RECORDED = (
    "Your last recorded injection was on {day}. Type a later date, or tap Keep the plan."
)
RESUME_DATE_AMBIGUOUS = "Did you mean {first} or {second}? Please type it like 2026-01-05."

DELETE_CONFIRM = (
    "Delete everything? This erases all I store about you: your settings, the dates and sites "
    "of your injections, your check-in answers and your planned reminders. It can't be undone."
)
BUTTON_DELETE_CONFIRM = "Delete everything"
BUTTON_DELETE_CANCEL = "Cancel"
DELETED = "Everything is erased. Take care! If you want reminders again, send /start."
DELETE_CANCELLED = "Nothing was deleted."
NOTHING_STORED = "I don't store anything about you. Send /start to set up reminders."

# CLINICAL.md, "Sources" and "Wording rules".
ABOUT = (
    "I remind you when your Kesimpta (ofatumumab) dose is due, at your local time, and suggest "
    "a different injection site each time.\n\n"
    "What I say about the schedule, injecting and reactions comes from the product "
    "information: the US Prescribing Information and Medication Guide, the EU SmPC and patient "
    "leaflet, and the Sensoready pen's Instructions for Use. The every-4-weeks option follows "
    "the ASCLEPIOS trials (NEJM 2020).\n\n"
    "For questions about your treatment, ask your MS team (neurologist or MS nurse). In an "
    "emergency, such as signs of a serious allergic reaction, call emergency services.\n\n"
    + NOT_MEDICAL_ADVICE
)

# Replaces the HELP above (the later definition wins): every patient command.
HELP = (
    "I send Kesimpta dose reminders at your local time.\n\n"
    "/start – set up, or see your next dose\n"
    "/next – your next dose and site\n"
    "/log – record an injection\n"
    "/history – your recent doses\n"
    "/reaction – tell me about a reaction after an injection\n"
    "/settings – time, time zone, spacing, quiet hours and more\n"
    "/pause – pause reminders\n"
    "/resume – turn them back on\n"
    "/delete – erase everything I store about you\n"
    "/about – what I am and my sources\n"
    "/help – this list\n\n"
    "For questions about your treatment, ask your MS team. " + NOT_MEDICAL_ADVICE
)


# --- the check-in after a dose, /reaction, the reaction follow-up ---------------------------
# CLINICAL.md, "After a dose" and "Wording rules": emergency services for allergic warning
# signs, the MS team for the rest; every safety screen ends with NOT_MEDICAL_ADVICE.

ALLERGIC_SIGNS = (
    "rash, hives, trouble breathing, swelling of the face, eyelids, lips, mouth, tongue or "
    "throat, chest tightness, feeling faint"
)
# Sent first, before anything else, when "Allergic warning signs" is pressed.
CHECKIN_URGENT = (
    "⚠️ Seek urgent medical help now: call emergency services. Then tell your MS team.\n\n"
    "Allergic warning signs: " + ALLERGIC_SIGNS + ".\n\n" + NOT_MEDICAL_ADVICE
)
CHECKIN_ALL_GOOD = "Thank you, glad to hear it. If anything comes up later, send /reaction."
CHECKIN_ASK_SKIN = "Which do you notice where you injected? Tap all that apply, then Done."
CHECKIN_ASK_FLU = "Which flu-like symptoms do you have? Tap all that apply, then Done."
CHECKIN_PICK_ONE = "Tap at least one, then Done."
CHECKIN_ASK_SEVERITY = "How bad is it?"
CHECKIN_BUTTON_DONE = "Done"
CHECKIN_SYMPTOMS = {
    "redness": "Redness",
    "pain": "Pain",
    "itching": "Itching",
    "swelling": "Swelling",
    "fever": "Fever",
    "headache": "Headache",
    "muscle_pain": "Muscle pain",
    "chills": "Chills",
    "tiredness": "Tiredness",
}
CHECKIN_SEVERITIES = {"mild": "Mild", "moderate": "Moderate", "severe": "Severe"}
# CLINICAL.md: injection-site reactions (redness, pain, itching, swelling), 11%, usually clear
# the same or next day.
CHECKIN_SKIN_NOTE = (
    "Thank you, I've noted it. Reactions where you injected (redness, pain, itching, "
    "swelling) are common and usually clear the same or the next day. Contact your MS team "
    "if they are severe or do not go away."
)
# CLINICAL.md: injection-related reactions (fever, headache, muscle pain, chills, tiredness),
# mostly within 24 hours of the first injection, almost all mild to moderate.
CHECKIN_FLU_NOTE = (
    "Thank you, I've noted it. Flu-like reactions (fever, headache, muscle pain, chills, "
    "tiredness) are common, mostly within 24 hours of an injection and most often after the "
    "first one; almost all are mild to moderate. Contact your MS team if they are severe or "
    "do not go away."
)
CHECKIN_SEVERE = "You said it is severe: please contact your MS team today."
CHECKIN_ALLERGIC_HINT = "Allergic warning signs? Tap the button below."

REACTION_ASK = "Which reaction do you want to report after dose {number}?"
REACTION_NO_DOSE = (
    "I have no injection recorded for you yet, so there is no dose to link a reaction to. "
    "Questions go to your MS team. Allergic warning signs (" + ALLERGIC_SIGNS + "): call "
    "emergency services now.\n\n" + NOT_MEDICAL_ADVICE
)
REACTION_GONE = (
    "Good to hear, I've noted it. If you haven't yet, tell your MS team about the reaction "
    "before your next injection.\n\n" + NOT_MEDICAL_ADVICE
)
REACTION_STILL_THERE = (
    "Please contact your MS team about it today. Allergic warning signs ("
    + ALLERGIC_SIGNS
    + "): call emergency services now.\n\n"
    + NOT_MEDICAL_ADVICE
)
# CLINICAL.md: after a reaction the MS team decides how the next injection is given; the bot
# only asks the patient to tell them before the next injection.
REACTION_BEFORE_DOSE = (
    "After dose {number} you told me about a reaction. If you haven't yet, tell your MS team "
    "before you inject: they decide how your next injection is given."
)

# /history: what was answered about each dose, beside it.
HISTORY_CHECK_IN_GOOD = "all good"
HISTORY_CHECK_IN_GROUPS = {"skin": "skin", "flu": "flu-like", "allergic": "allergic warning signs"}
HISTORY_CHECK_IN_UNANSWERED = "check-in not answered"

# --- admin commands (only admins ever see these) --------------------------------------------

ADMIN_PATIENT_USAGE = "Send /patient followed by a Telegram user id, e.g. /patient 123456789."
ADMIN_PATIENT_UNKNOWN = "No patient has the Telegram id {telegram_id}."
ADMIN_STATS = (
    "📊 Stats\n"
    "Patients: {onboarding} onboarding, {active} active, {paused} paused, "
    "{unreachable} unreachable\n"
    "Last 30 days: {doses} doses, {on_time} within a day of plan\n"
    "Overdue now (1+ day): {overdue}\n"
    "Check-ins answered (30 days): {answered} of {asked}\n"
    "Reactions (30 days): {reactions}\n"
    "Urgent reports (30 days): {urgent}\n"
    "Reminders: {pending} pending, {sent_today} sent today, {failed} failed\n"
    "Database: {database}\n"
    "Up {uptime} · version {version}"
)
ADMIN_STATS_NO_REACTIONS = "none"
ADMIN_STATS_ON_TIME_NONE = "no planned dates"
ADMIN_PATIENT = (
    "👤 Patient #{patient_id} (Telegram {telegram_id})\n"
    "Status: {status}\n"
    "Time zone: {time_zone}\n"
    "Next dose: {next_dose}"
)
ADMIN_NEXT_DOSE = "dose {number} due {due_on}"
ADMIN_NEXT_DOSE_NONE = "not planned yet"
ADMIN_LAST_DOSES = "Last doses:"
ADMIN_DOSE_LINE = "• dose {number} on {injected_on} ({lateness})"
ADMIN_ON_TIME = "on time"
ADMIN_DAYS_LATE = "{days} d late"
ADMIN_DAYS_EARLY = "{days} d early"
ADMIN_PLAN_UNKNOWN = "plan unknown"
ADMIN_RECENT_REACTIONS = "Recent reactions:"
ADMIN_REACTION_LINE = "• dose {dose}: {kinds}"
ADMIN_PENDING_REMINDERS = "Pending reminders:"
ADMIN_REMINDER_LINE = "• {kind} at {due_at}"
ADMIN_NONE_YET = "none"
ADMIN_BUTTON_PAUSE = "Pause reminders"
ADMIN_BUTTON_RESUME = "Resume reminders"
ADMIN_PAUSED = "Patient #{patient_id}: reminders paused."
ADMIN_RESUMED = "Patient #{patient_id}: reminders resumed."
ADMIN_OVERDUE_TITLE = "⏰ Overdue doses, most overdue first:"
ADMIN_OVERDUE_LINE = "• {telegram_id}: dose {dose}, {days} d overdue"
ADMIN_OVERDUE_MORE = "…and {count} more."
ADMIN_OVERDUE_NONE = "No patient is overdue."
ADMIN_AUDIT_TITLE = "🗒 Latest admin actions:"
ADMIN_AUDIT_LINE = "• {at} · admin {admin} · {action}{target}"
ADMIN_AUDIT_NONE = "No admin actions recorded yet."

# Alerts to admins: internal ids and error types only, never health details or tokens.
ALERT_URGENT_REACTION = "a patient reported allergic warning signs, patient #{patient_id}"
ALERT_UNHANDLED_ERROR = "unhandled {error} while handling {where}"

# Appended to the welcome only when the deployment sets ALERT_URGENT_REACTIONS=true.
WELCOME_URGENT_ALERTS = (
    "If you report allergic warning signs, the people who run this bot are told too, "
    "without any details. They are not your medical team: in an emergency, call emergency "
    "services yourself."
)

# --- /broadcast (admins) ---
BROADCAST_USAGE = (
    "Write the message after the command, for example:\n/broadcast The bot will be down "
    "for maintenance tonight."
)
BROADCAST_TOO_LONG = "That message is too long: keep it under {limit} characters."
BROADCAST_PREVIEW = "Patients will see:\n\n{message}\n\nIt will reach {count:,} patients."
BUTTON_BROADCAST_SEND = "Send"
BUTTON_BROADCAST_CANCEL = "Cancel"
BROADCAST_STARTING = "Sending the message…"
BROADCAST_CANCELLED = "Not sent."
BROADCAST_PROGRESS = "{sent:,} of {total:,} sent"
BROADCAST_DONE = "Done: sent {sent:,}, unreachable {unreachable:,}, failed {failed:,}"
