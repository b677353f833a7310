# Python agents for bench/bench_python.c.

import creamas_agent


class Empty(creamas_agent.Agent):
    """An empty act: the Python counterpart of the C type noop."""

    def act(self):
        pass


class Pinger(creamas_agent.Agent):
    """Awaits "ping" of every connection: the C pinger, in Python."""

    async def act(self):
        for addr in self.connections:
            await self.call(addr, "ping")


class Pong(creamas_agent.Agent):
    """Answers "ping": the C ponger, in Python."""

    @creamas_agent.expose
    def ping(self):
        return 1


class Holder(Empty):
    """An empty act and one attribute, as most agents have state."""

    def __init__(self):
        self.count = 0

