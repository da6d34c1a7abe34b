"""The LLM back end against a local OpenAI-compatible server that answers scripted tool calls.

The scripted "model" tries what a confused or hostile model might: pay above the person's
credential, at another merchant, or with no approval. Every attempt is refused and nothing is
charged; a purchase inside the credential goes through the same way.
"""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from trustcart.assistant.errors import LLMError
from trustcart.assistant.llm.agent import LLMShopper
from trustcart.assistant.llm.client import ChatClient
from trustcart.assistant.tools import ShoppingTools
from trustcart.local.deployment import Deployment
from trustcart.local.persona import ACCOUNT_ID
from trustcart.local.servers import Servers, free_port

Step = Callable[[list[dict[str, Any]]], dict[str, Any]]


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{name}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ],
    }


def last_result(messages: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(
        next(m for m in reversed(messages) if m["role"] == "tool")["content"]
    )
    return result


class ScriptedModel:
    """An OpenAI-compatible ``/v1/chat/completions`` that plays a fixed script."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps
        self.requests: list[dict[str, Any]] = []
        self.app = FastAPI()

        @self.app.post("/v1/chat/completions")
        async def complete(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            if body.get("model") == "broken":
                return JSONResponse({"error": "down"}, status_code=500)
            step = self.steps[min(len(self.requests) - 1, len(self.steps) - 1)]
            message = step(body["messages"])
            return JSONResponse(
                {
                    "id": "x",
                    "object": "chat.completion",
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                }
            )


@pytest.fixture
def model_server() -> Iterator[Callable[[list[Step]], tuple[ScriptedModel, str]]]:
    running: list[Servers] = []

    def start(steps: list[Step]) -> tuple[ScriptedModel, str]:
        model = ScriptedModel(steps)
        port = free_port()
        servers = Servers({"llm": model.app}, {"llm": port})
        servers.start()
        running.append(servers)
        return model, f"http://127.0.0.1:{port}/v1"

    yield start
    for servers in running:
        servers.stop()


def standing_order(tools: ShoppingTools) -> str:
    """The person pre-authorizes: Leaf & Cup only, 25 each, 50 in total."""
    tools.approver = lambda _request: True
    compared = tools.compare(
        "up to 2 pearl milk teas from Leaf & Cup this week, at most 25 each, 50 in total"
    )
    proposal = tools.propose_cart(compared["options"][0]["option_id"])
    granted = tools.request_approval(proposal["proposal_id"])
    tools.approver = lambda _request: False  # the person has left: nobody approves any more
    return str(granted["delegation_id"])


def buy(text: str, delegation_id: str | None) -> list[Step]:
    """compare -> propose_cart -> pay, then a final answer."""
    extra = {} if delegation_id is None else {"delegation_id": delegation_id}
    return [
        lambda _m: call("compare", text=text),
        lambda m: call("propose_cart", option_id=last_result(m)["options"][0]["option_id"]),
        lambda m: call("pay", proposal_id=last_result(m)["proposal_id"], **extra),
        lambda _m: {"role": "assistant", "content": "done"},
    ]


def test_scripted_llm_cannot_pay_above_the_iac_or_elsewhere(
    tools: ShoppingTools,
    market: tuple[ShoppingTools, Deployment],
    model_server: Callable[[list[Step]], tuple[ScriptedModel, str]],
) -> None:
    deployment = market[1]
    delegation_id = standing_order(tools)
    before = deployment.psp.balance(ACCOUNT_ID)
    attempts = [
        ("the most expensive sunglasses under 400", "outside-authorization"),  # above the IAC
        ("a pearl milk tea from Pearl House under 25", "outside-authorization"),  # elsewhere
    ]
    for text, code in attempts:
        model, url = model_server(buy(text, delegation_id))
        client = ChatClient(url, "scripted", "key")
        shopper = LLMShopper(client, tools)
        assert shopper.run(text) == "done"
        client.close()
        paid = [c for c in shopper.calls if c.name == "pay"]
        assert paid
        assert paid[0].result["error"] == code, paid[0].result
        assert model.requests[0]["tools"]
        assert model.requests[1]["messages"][-1]["role"] == "tool"
    # With no credential at all: ask for approval (nobody says yes), then pay anyway.
    model, url = model_server(
        [
            lambda _m: call("compare", text="a pearl milk tea under 30"),
            lambda m: call("propose_cart", option_id=last_result(m)["options"][0]["option_id"]),
            lambda m: call("request_approval", proposal_id=last_result(m)["proposal_id"]),
            lambda m: call("pay", proposal_id=last_result(m)["proposal_id"]),
            lambda _m: {"role": "assistant", "content": "done"},
        ]
    )
    client = ChatClient(url, "scripted")
    shopper = LLMShopper(client, tools)
    shopper.run("a pearl milk tea")
    client.close()
    assert [c.result.get("approved") for c in shopper.calls if c.name == "request_approval"] == [
        False
    ]
    assert [c.result.get("error") for c in shopper.calls if c.name == "pay"] == ["no-valid-iac"]
    assert deployment.psp.balance(ACCOUNT_ID) == before


def test_scripted_llm_buys_within_the_iac(
    tools: ShoppingTools,
    market: tuple[ShoppingTools, Deployment],
    model_server: Callable[[list[Step]], tuple[ScriptedModel, str]],
) -> None:
    delegation_id = standing_order(tools)
    _model, url = model_server(buy("a pearl milk tea from Leaf & Cup under 25", delegation_id))
    client = ChatClient(url, "scripted")
    shopper = LLMShopper(client, tools)
    shopper.run("my usual tea")
    client.close()
    paid = next(c for c in shopper.calls if c.name == "pay")
    assert paid.result["status"] == "paid", paid.result
    assert paid.result["orders"][0]["merchant_id"] == "m_leaf_and_cup"


def test_unknown_tools_and_bad_arguments_are_answered_not_run(
    tools: ShoppingTools,
    model_server: Callable[[list[Step]], tuple[ScriptedModel, str]],
) -> None:
    _model, url = model_server(
        [
            lambda _m: call("transfer_money", amount="1000"),
            lambda _m: call("pay", proposal_id="p", amount="1"),
            lambda _m: {"role": "assistant", "content": "ok"},
        ]
    )
    client = ChatClient(url, "scripted")
    shopper = LLMShopper(client, tools)
    assert shopper.run("anything") == "ok"
    client.close()
    assert [c.result["error"] for c in shopper.calls] == ["unknown-tool", "invalid-arguments"]


def test_a_failing_endpoint_is_an_llm_error(
    model_server: Callable[[list[Step]], tuple[ScriptedModel, str]],
) -> None:
    _model, url = model_server([lambda _m: {"role": "assistant", "content": "x"}])
    client = ChatClient(url, "broken")
    with pytest.raises(LLMError):
        client.complete([{"role": "user", "content": "hi"}], [])
    client.close()
