"""Channel bridges: turn WhatsApp, Telegram, email, voice and web-widget traffic into one internal
message (``message``), check that it really came from the channel (``verify``), and turn the
assistant's Markdown reply back into what each channel can show or speak (``format``).
``outbound`` holds the small clients that post replies to the channel APIs.
"""

from connectors.channels.message import (
    CHANNELS,
    InboundMessage,
    Reply,
    UnsupportedMessage,
    conversation_id,
)

__all__ = ["CHANNELS", "InboundMessage", "Reply", "UnsupportedMessage", "conversation_id"]
