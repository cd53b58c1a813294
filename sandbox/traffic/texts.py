"""What people say in the generated traffic and the demo history: SMS openers and replies,
voicemail transcriptions. Plain sales-team small talk; `{first}` is the user's first name."""

INBOUND_OPENERS = (
    "Hi {first}, is the quote ready? We'd like to sign this week.",
    "Can we move tomorrow's call to 3pm?",
    "Got your voicemail, call me back when you can.",
    "Do you have the pricing for 25 seats?",
    "Thanks for the demo today, the team loved it.",
    "Our PO number is 4471-B, please add it to the invoice.",
    "Running 10 minutes late for our meeting, sorry!",
    "Is the analytics add-on included in the standard plan?",
    "Who should I talk to about a billing question?",
    "We're ready to renew. What are the next steps?",
    "Can you resend the contract? It went to spam.",
    "Quick question about the onboarding schedule.",
)
AGENT_REPLIES = (
    "Hi! Yes, sending it over within the hour.",
    "3pm works, I've updated the invite.",
    "Thanks for letting me know, I'll call you shortly.",
    "25 seats would be $1,150/month on the annual plan. Want me to send a formal quote?",
    "Great to hear! I'll follow up with the proposal.",
    "Added, thanks. You'll get the updated invoice today.",
    "No problem, see you soon.",
    "It is included from the Growth plan up. Happy to walk you through it.",
    "Our billing team can help: billing@callboard.example. I've cc'd them.",
    "Wonderful! I'll send the renewal form this afternoon.",
    "Just resent it from my direct address.",
)
OUTBOUND_OPENERS = (
    "Hi, it's {first} from Callboard Demo Co. Do you have 10 minutes this week?",
    "Following up on our call: the proposal is in your inbox.",
    "Reminder: our meeting is tomorrow at 10am.",
    "Your order has shipped, tracking number to follow.",
    "Tried to reach you earlier, when is a good time to call?",
    "Thanks for your time today! Let me know if any questions come up.",
    "The new pricing sheet is attached to the email I just sent.",
)
CUSTOMER_REPLIES = (
    "Thanks, will take a look.",
    "Tuesday afternoon works.",
    "Perfect, see you then.",
    "Great, thank you!",
    "Call me after 2pm.",
    "Got it, I'll loop in our CFO.",
    "Can we push to next week?",
)
MMS_CAPTIONS = (
    "Photo of the damaged unit",
    "Here's our current setup",
    "Signed page attached",
    "Whiteboard from today's meeting",
)
VOICEMAILS = (
    "Hi {first}, it's about the proposal you sent. Please call me back when you get a chance.",
    "Hello, this is a message for {first}. We'd like to schedule a demo for our team next week.",
    "Hi, calling about our invoice, there seems to be a duplicate charge. Please call back.",
    "{first}, quick question about the renewal. I'm at my desk until five.",
    "Hi, returning your call. Try me on my mobile any time after lunch.",
    "Good morning, we're interested in adding ten more seats. Give me a call.",
)


def first_name(name: str | None) -> str:
    return (name or "there").split()[0]
