"""The assistant behind a Gradio chat link and HTTP API: `python -m connectors.gradio_endpoint`.

The same workbench assistant as the Streamlit Chat page (no second implementation). API:
`/chat` takes (message, conversation_id, workspace) and streams the answer; its final value
is Markdown with a numbered Sources section. `/answer` takes the same and returns the answer as
JSON (``answer_payload``: the shape of the CLI's ``ask --json``, plus ``plan``, how a database
question was read). Each conversation id keeps its own memory.

It refuses to start with a public share link or on a non-loopback address unless
authentication is configured (AW_ENDPOINT_USERS and/or AW_ENDPOINT_TOKENS).

The web chat needs a way for a browser to prove who it is: a login (AW_ENDPOINT_USERS), or no
authentication at all on loopback. With API tokens only (AW_ENDPOINT_TOKENS) a browser has no way
to send its token, so the page says the web chat is off and how to turn it on, and the same
``chat`` and ``answer`` APIs keep answering token holders (``web_chat_off``). With both, people log
in to chat and bridges keep sending their tokens (``connectors.token_sessions`` lets a valid token
through Gradio's login gate).

Only the routes the chat page and the chat API use are served (``CHAT_ROUTES``, enforced by
``connectors.http_guard.RequestGuard`` before Gradio sees a request): Gradio's file upload, file
serving, proxy, streaming, monitoring and other routes answer 404 to everyone, and request bodies
over ``MAX_REQUEST_BYTES`` are refused with 413 before they are read.
"""

from __future__ import annotations

import hmac
import logging
import sys
import uuid
from typing import Any, Iterator

import gradio as gr
from starlette.middleware import Middleware

from connectors.channels.guards import SenderRateLimiter
from connectors.http_guard import RequestGuard, Route
from connectors.settings import EndpointSettings
from connectors.token_sessions import API_TOKEN_USER, BearerTokenSessions, fingerprint, is_token_user, token_from_header
from core.errors import ConfigError, WorkbenchError
from core.records import Answer
from core.text_safety import escape_markdown, safe_markdown
from core.settings import Settings

logger = logging.getLogger(__name__)

# The largest request body accepted: a question (at most AW_ENDPOINT_MAX_CHARS) plus the chat history
# the web page sends with it. Anything larger is refused with 413 before it is read.
MAX_REQUEST_BYTES = 1_000_000

_GET = ("GET", "HEAD")
# Every route the web chat (page, assets, login, queue) and gradio_client's predict() use; nothing else.
CHAT_ROUTES = (
    Route(_GET, r"/|/config/?|/favicon\.ico|/theme\.css|/robots\.txt|/manifest\.json|/logout"),
    Route(_GET, r"/(assets|static)/[A-Za-z0-9_./-]+"),
    Route(_GET, r"/gradio_api/(info/?|theme\.css|queue/data|queue/status|startup-events|login_check|app_id/?)"),
    Route(_GET, r"/gradio_api/heartbeat/[A-Za-z0-9_-]+"),
    Route(_GET, r"/gradio_api/call/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+"),  # results of POST /gradio_api/call/<api>
    Route(("POST",), r"/login/?|/gradio_api/(queue/join|cancel|reset/?)"),
    Route(("POST",), r"/gradio_api/(run|call)/[A-Za-z0-9_-]+/?"),
)


def check_exposure(endpoint: EndpointSettings) -> None:
    """Refuse configurations that would put an unauthenticated assistant on the network."""
    if endpoint.has_auth:
        return
    if endpoint.share:
        raise ConfigError("Refusing to create a public share link without authentication: set AW_ENDPOINT_USERS or AW_ENDPOINT_TOKENS.")
    if not endpoint.is_loopback:
        raise ConfigError(f"Refusing to listen on {endpoint.host} without authentication: set AW_ENDPOINT_USERS or "
                          "AW_ENDPOINT_TOKENS, or bind to 127.0.0.1.")


WEB_CHAT_OFF = (
    "**The web chat is off on this server.** It was started with API tokens only (`AW_ENDPOINT_TOKENS`), "
    "and a browser cannot send a token. To chat here, restart it with web logins as well, e.g. "
    "`AW_ENDPOINT_USERS=analyst:a-long-password`, and log in. The API (`/chat`, `/answer`) keeps answering "
    "callers that send `Authorization: Bearer TOKEN`."
)


def web_chat_off(endpoint: EndpointSettings) -> bool:
    """Whether the page offers no chat: tokens guard the API but no web login is configured."""
    return bool(endpoint.tokens) and not endpoint.users


def format_reply(answer: Answer) -> str:
    """The answer as Markdown with its notice and numbered sources, for the web chat and bridges.

    The answer and the source titles come from documents and models: the text goes through
    ``safe_markdown`` and titles are escaped, so neither can load an image in the reader's browser.
    """
    parts = []
    if answer.notice:
        parts.append(f"_{escape_markdown(answer.notice)}_")
    parts.append(safe_markdown(answer.text))
    if answer.sources:
        parts.append("**Sources**\n" + "\n".join(f"[{s.index}] {escape_markdown(s.title)}{_read_as(s)}  "
                                                 for s in answer.sources).rstrip())
    return "\n\n".join(parts)


def answer_payload(answer: Answer) -> dict[str, Any]:
    """The answer as JSON: text, mode, notice, numbered sources (as ``ask --json`` gives them) and ``plan``,
    the database source's planned reading (``Plan.to_dict()``, with its ``interpretation``), or None."""
    plan = next((s.reference.get("plan") for s in answer.sources if s.kind == "sql" and s.reference.get("plan")), None)
    return {
        "answer": answer.text, "mode": answer.mode, "notice": answer.notice,
        "sources": [{"index": s.index, "kind": s.kind, "title": s.title, "text": s.text, "reference": s.reference}
                    for s in answer.sources],
        "plan": plan,
    }


def _read_as(source) -> str:
    plan = source.reference.get("plan") if source.kind == "sql" else None
    return f": read as {escape_markdown(plan['interpretation'])}" if plan else ""


class ChatEndpoint:
    """The function Gradio calls, with the access rules around the assistant."""

    def __init__(self, workbench, endpoint: EndpointSettings):
        self.workbench = workbench
        self.endpoint = endpoint
        self.limiter = SenderRateLimiter(endpoint.rate_limit_per_minute)

    def _token_ok(self, request: gr.Request | None) -> bool:
        if not self.endpoint.tokens:
            return True
        username = getattr(request, "username", None) if request is not None else None
        if is_token_user(username):
            return True  # BearerTokenSessions let it through Gradio's login gate: its token was checked there
        # A logged-in web user (Gradio auth) passes; API callers must bring a token.
        if username and self.endpoint.users:
            return True
        given = token_from_header(request.headers.get("authorization", "") or "") if request is not None else ""
        return any(hmac.compare_digest(given, token) for token in self.endpoint.tokens)

    def _workspace(self, requested: str) -> str:
        requested = (requested or "").strip()
        if not requested or requested == self.workbench.settings.default_workspace:
            return self.workbench.settings.default_workspace
        if requested not in self.endpoint.workspaces:
            raise gr.Error(f"Workspace {requested!r} is not open to the API; ask an administrator to add it to AW_ENDPOINT_WORKSPACES.")
        return requested

    def respond(self, message: str, history: list, conversation_id: str = "", workspace: str = "",
                request: gr.Request | None = None) -> Iterator[str]:
        chat, conversation, caller = self._admit(message, conversation_id, workspace, request)
        text = ""
        try:
            for item in chat.ask_stream(message.strip(), conversation_id=conversation, user_id=caller):
                if isinstance(item, Answer):
                    yield format_reply(item)
                else:
                    text += item
                    yield safe_markdown(text)
        except WorkbenchError as exc:
            raise gr.Error(str(exc)) from None
        except Exception:
            # Never send a raw exception (it may quote SQL or paths) to a remote caller.
            logger.exception("the assistant failed on an endpoint request")
            raise gr.Error("Something went wrong while answering; please try again. The error was logged.") from None

    def chat(self, message: str, conversation_id: str = "", workspace: str = "",
             request: gr.Request | None = None) -> Iterator[str]:
        """The ``chat`` API without a web chat: the same inputs, stream and checks as the chat page's."""
        yield from self.respond(message, [], conversation_id, workspace, request)

    def answer(self, message: str, conversation_id: str = "", workspace: str = "",
               request: gr.Request | None = None) -> dict:
        """The answer as JSON (``answer_payload``), under the same access rules as the chat."""
        chat, conversation, caller = self._admit(message, conversation_id, workspace, request)
        try:
            return answer_payload(chat.ask(message.strip(), conversation_id=conversation, user_id=caller))
        except WorkbenchError as exc:
            raise gr.Error(str(exc)) from None
        except Exception:
            logger.exception("the assistant failed on an endpoint request")
            raise gr.Error("Something went wrong while answering; please try again. The error was logged.") from None

    def _admit(self, message: str, conversation_id: str, workspace: str, request: gr.Request | None):
        """Refuse what the access rules refuse; otherwise the workspace's chat, the conversation and the caller."""
        if not self._token_ok(request):
            raise gr.Error("Not authorised: send a valid API token as 'Authorization: Bearer TOKEN'.")
        message = (message or "").strip()
        if not message:
            raise gr.Error("Send a question.")
        if len(message) > self.endpoint.max_message_chars:
            raise gr.Error(f"That message is {len(message)} characters long; the limit is {self.endpoint.max_message_chars}. Please shorten it.")
        conversation = (conversation_id or "").strip() or _session_conversation(request)
        name = self._workspace(workspace)
        caller = _caller(request)
        if self.limiter.admit(f"{name}/{conversation}") != "ok":
            raise gr.Error(f"Too many messages: at most {self.endpoint.rate_limit_per_minute} per minute. Please wait a moment.")
        try:
            return self.workbench.workspace(name).chat, conversation, caller
        except WorkbenchError as exc:
            raise gr.Error(str(exc)) from None
        except Exception:
            logger.exception("opening the workspace failed on an endpoint request")
            raise gr.Error("Something went wrong while answering; please try again. The error was logged.") from None


def _caller(request: gr.Request | None) -> str:
    """Who is asking: the login, or a fingerprint of the API token; a conversation belongs to one caller."""
    if request is None:
        return "gradio:local"
    username = getattr(request, "username", None)
    if is_token_user(username):
        return "gradio-token:" + username.removeprefix(API_TOKEN_USER)  # as the same token without web logins
    if username:
        return f"gradio-user:{username}"
    token = token_from_header(request.headers.get("authorization", "") or "")
    return "gradio-token:" + fingerprint(token) if token else "gradio:anonymous"


def _session_conversation(request: gr.Request | None) -> str:
    # Web chat users without an explicit id keep memory per browser session.
    session = getattr(request, "session_hash", None) if request is not None else None
    return f"web-{session or uuid.uuid4()}"


TITLE = "Analyst Workbench assistant"
DESCRIPTION = "Answers from the workspace's documents, knowledge graph and database, with numbered sources."


def build_app(workbench, endpoint: EndpointSettings) -> gr.Blocks:
    handler = ChatEndpoint(workbench, endpoint)
    if web_chat_off(endpoint):
        return _api_only_app(handler, endpoint)
    app = gr.ChatInterface(
        fn=handler.respond,
        additional_inputs=[
            gr.Textbox(label="Conversation id", value="", info="Optional: reuse it to keep the conversation's memory."),
            gr.Textbox(label="Workspace", value="", info="Optional: only workspaces the administrator opened to the API."),
        ],
        title=TITLE,
        description=DESCRIPTION,
        api_name="chat",
        concurrency_limit=endpoint.concurrency,
        flagging_mode="never",
    )
    with app:
        gr.api(handler.answer, api_name="answer", concurrency_limit=endpoint.concurrency)
    return app


def _api_only_app(handler: ChatEndpoint, endpoint: EndpointSettings) -> gr.Blocks:
    """A page that says why there is no chat and how to get one, over the same two APIs."""
    with gr.Blocks(title=TITLE) as app:
        gr.Markdown(f"# {TITLE}\n\n{DESCRIPTION}\n\n{WEB_CHAT_OFF}")
        gr.api(handler.chat, api_name="chat", concurrency_limit=endpoint.concurrency)
        gr.api(handler.answer, api_name="answer", concurrency_limit=endpoint.concurrency)
    return app


def launch(settings: Settings, workbench=None, *, endpoint: EndpointSettings, prevent_thread_lock: bool = False,
           max_body_bytes: int = MAX_REQUEST_BYTES):
    """Check the exposure rules, build the app and start it. Returns the Blocks (for tests).

    ``settings`` build the workbench when none is given; ``endpoint`` says where and for whom to serve.
    """
    check_exposure(endpoint)
    if workbench is None:
        from core.warm_up import start_warm_up
        from core.workbench import build_workbench

        workbench = build_workbench(settings)
        if settings.warm_up:  # the model loads while the server starts, not on the first caller's answer
            start_warm_up(workbench)
    app = build_app(workbench, endpoint)
    # Outermost inside Gradio's app: unknown routes (uploads included) are absent, big bodies refused unread.
    middleware = [Middleware(RequestGuard, routes=CHAT_ROUTES, max_body_bytes=max_body_bytes)]
    if endpoint.users and endpoint.tokens:  # web logins put a gate before every route: let token holders in
        middleware.append(Middleware(BearerTokenSessions, tokens=endpoint.tokens))
    app.queue(default_concurrency_limit=endpoint.concurrency, max_size=endpoint.concurrency * 16)
    app.launch(
        server_name=endpoint.host, server_port=endpoint.port, share=endpoint.share,
        auth=list(endpoint.users) or None, prevent_thread_lock=prevent_thread_lock, show_error=False, quiet=True,
        app_kwargs={"middleware": middleware},
        max_file_size=max_body_bytes,  # a second line, should an upload route ever be reachable
    )
    return app


def main() -> int:
    try:
        settings = Settings.from_env()
        endpoint = EndpointSettings.from_env()
        check_exposure(endpoint)
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Serving the assistant on http://{endpoint.host}:{endpoint.port} (API: /chat, /answer)")
    if web_chat_off(endpoint):
        print("The web chat is off: only API tokens are set (AW_ENDPOINT_TOKENS). Set AW_ENDPOINT_USERS=name:password "
              "to let people log in and chat in a browser.")
    launch(settings, endpoint=endpoint)
    return 0


if __name__ == "__main__":
    sys.exit(main())
