# Python agents for tests/check_python.c: the same models as the C types
# they are compared with, and agents that fail in every way.

import os
import random
import sys

import creamas_agent

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "examples", "python"))
import counters  # noqa: E402 (examples/python/counters.py, tested here)


class Counter(counters.Counter):
    """The example's counter: the built-in C type counter, in Python."""

    def not_exposed(self):
        return "secret"


class Summer(creamas_agent.Agent):
    """Awaits "get" of every connection; publishes and keeps the sum."""

    def __init__(self):
        self.sum = None

    async def act(self, **args):
        total = 0
        for addr in sorted(self.connections):
            total += await self.call(addr, "get")
        self.sum = total
        self.publish({"sum": total, "round": self.round})
        self.log("sum", total)

    @creamas_agent.expose
    def total(self):
        return self.sum


class Pong(creamas_agent.Agent):
    """Answers the C pinger's "ping" as the C ponger does."""

    def __init__(self):
        self.pings = 0

    @creamas_agent.expose
    def ping(self):
        self.pings += 1
        return {"pong": self.id, "from": self.addr}

    @creamas_agent.expose
    def count(self):
        return self.pings


class Caller(creamas_agent.Agent):
    """Calls "get" of every connection and keeps the last error."""

    def __init__(self):
        self.error = None
        self.answers = 0

    async def act(self):
        for addr in self.connections:
            try:
                await self.call(addr, "get")
                self.answers += 1
            except creamas_agent.CallError as e:
                self.error = [e.code, str(e)]

    @creamas_agent.expose
    def last_error(self):
        return self.error

    @creamas_agent.expose
    def answered(self):
        return self.answers


class Boom(creamas_agent.Agent):
    def act(self):
        return self.divide(1, 0)

    def divide(self, a, b):
        return a / b

    @creamas_agent.expose
    def fail(self):
        raise ValueError("no")

    @creamas_agent.expose
    async def wait(self):
        await self.call(self.addr, "fail")


class LateBoom(creamas_agent.Agent):
    """Raises after an await, when its act has returned."""

    async def act(self):
        for addr in self.connections:
            await self.call(addr, "get")
        raise KeyError("late")


class Loop(creamas_agent.Agent):
    """An endless act; it first makes the file marker, if given."""

    def __init__(self, marker=None):
        self.marker = marker

    def act(self):
        if self.marker is not None:
            open(self.marker, "w").close()
        while True:
            pass


class Stubborn(creamas_agent.Agent):
    """An endless loop that swallows every Exception."""

    def act(self):
        while True:
            try:
                while True:
                    pass
            except Exception:
                pass


class NotAgent:
    pass


class Drawer(creamas_agent.Agent):
    """Keeps a generator and every number it drew: its checkpoint's test."""

    def __init__(self, seed=1):
        self.generator = random.Random(seed)
        self.drawn = []

    def act(self):
        self.drawn.append(self.generator.random())
        return [len(self.drawn), sum(self.drawn), self.generator.random()]
